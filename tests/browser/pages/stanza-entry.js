// Bundled by the runner with esbuild for the browser: StanzaJS has no browser build of its own.
export { createClient } from 'stanza';
