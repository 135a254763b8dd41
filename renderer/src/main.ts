// Renderer entry: Vue app, Pinia, and hash routing (works from file:// in the desktop app and
// from the browser host alike).
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import { createRouter, createWebHashHistory } from 'vue-router';
import App from './App.vue';
import RunsView from './features/history/RunsView.vue';
import NewRunView from './features/configurator/NewRunView.vue';
import PresetsView from './features/presets/PresetsView.vue';
import RunView from './features/run/RunView.vue';
import ExperimentsView from './features/experiments/ExperimentsView.vue';
import ExperimentView from './features/experiments/ExperimentView.vue';
import ComparisonsView from './features/compare/ComparisonsView.vue';
import CompareView from './features/compare/CompareView.vue';
import QueryView from './features/query/QueryView.vue';
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
    { path: '/query', component: QueryView },
  ],
  scrollBehavior: (to) => (to.hash !== '' ? { el: to.hash, top: 8 } : { top: 0 }),
});

createApp(App).use(createPinia()).use(router).mount('#app');
