import { deleteCommand } from "./delete-common.ts";

export default deleteCommand("delete", "Delete a layer with no safety checks (it is unmounted first)", false);
