// The theme follows the system's light or dark preference unless the user
// picks one; the choice is kept in this webview's local storage.

export type Theme = "system" | "light" | "dark";

const KEY = "herald.theme";

export function savedTheme(): Theme {
  const saved = globalThis.localStorage?.getItem(KEY);
  return saved === "light" || saved === "dark" ? saved : "system";
}

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
  globalThis.localStorage?.setItem(KEY, theme);
}
