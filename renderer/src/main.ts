// Renderer entry: Vue app, Pinia, and hash routing (works from file:// in the desktop app and
// from the browser host alike).
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import { createRouter, createWebHashHistory } from 'vue-router';
import App from './App.vue';
import RunsView from './views/RunsView.vue';
import NewRunView from './views/NewRunView.vue';
import PresetsView from './views/PresetsView.vue';
import RunView from './views/RunView.vue';
import ExperimentsView from './views/ExperimentsView.vue';
import ExperimentView from './views/ExperimentView.vue';
import ComparisonsView from './views/ComparisonsView.vue';
import CompareView from './views/CompareView.vue';
import './styles.css';

const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', component: RunsView },
    { path: '/new', component: NewRunView },
    { path: '/presets', component: PresetsView },
    { path: '/runs/:id', component: RunView, props: true },
    { path: '/experiments', component: ExperimentsView },
    { path: '/experiments/:id', component: ExperimentView, props: true },
    { path: '/compare', component: ComparisonsView },
    { path: '/compare/runs/:ids', component: CompareView, props: true },
    { path: '/compare/saved/:savedId', component: CompareView, props: true },
  ],
  scrollBehavior: (to) => (to.hash !== '' ? { el: to.hash, top: 8 } : { top: 0 }),
});

createApp(App).use(createPinia()).use(router).mount('#app');
