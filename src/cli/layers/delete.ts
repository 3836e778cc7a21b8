import { deleteCommand } from "./delete-common.ts";

export default deleteCommand("delete", "Delete a layer or image or container, with no safety checks (a mounted layer is unmounted first)", false);
