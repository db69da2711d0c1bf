/** Files the edge bundle imports as text (esbuild's text loader in infra/bundle-edge.mjs). */
declare module "*.yaml" {
  const text: string;
  export default text;
}
