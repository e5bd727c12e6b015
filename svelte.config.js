// Svelte compiler settings shared by the renderer build and svelte-check.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Every component uses runes ($state, $derived, $props, $effect).
    runes: true,
  },
};
