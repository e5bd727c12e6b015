import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html: the element #app to mount the app into is missing');

export default mount(App, { target });
