import { deleteCommand } from "./delete-common.ts";

export default deleteCommand("delete-layer", "Delete a layer, with safety checks (no children, not used by an image or container, not mounted)", true);
