// The selection methods by name. Kept apart from the selectors so that checking options
// does not load the native addon (and with it OpenBLAS, which reads its settings once).
export type MethodName = "somp" | "l1" | "random";
export const METHODS: readonly MethodName[] = ["somp", "l1", "random"];
