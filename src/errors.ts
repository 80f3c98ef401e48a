/**
 * An error about the user's input (a file, tensor, node or option), with a message meant to
 * be printed as one line. Anything else that escapes is a bug in onnx-thin.
 */
export class ThinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ThinError";
  }
}
