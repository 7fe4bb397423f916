import { defineConfig } from "vitest/config";
import solid from "vite-plugin-solid";

// The UI is bundled into the app binary; Tauri serves it, so no dev server
// and no remote content. One CSS file and one JS file keep the CSP strict.
export default defineConfig({
  plugins: [solid()],
  clearScreen: false,
  build: {
    outDir: "dist",
    target: "safari16",
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
  test: {
    environment: "happy-dom",
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
  },
});
