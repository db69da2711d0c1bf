import htm from "htm";
import { h } from "preact";

/** Preact elements from tagged templates: no JSX transform, so the console builds like the rest. */
export const html = htm.bind(h);
