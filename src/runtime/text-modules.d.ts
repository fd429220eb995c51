/** YAML files imported into the Worker bundle through wrangler's Text rule (wrangler.toml `rules`). */
declare module '*.yaml' {
  const text: string;
  export default text;
}
