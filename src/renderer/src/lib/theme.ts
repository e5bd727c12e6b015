// Light and dark themes: the choice is kept in localStorage and set on <html data-theme>.

export type Theme = 'light' | 'dark';

const KEY = 'peft-workbench.theme';

/** The saved choice, else the system's preference. */
export function initialTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function setTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(KEY, theme);
}
