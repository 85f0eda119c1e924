import './styles.css';
import { App } from './app.js';
import { heartbeatFrom, transportChoiceFrom } from './realtime/transport.js';

const root = document.getElementById('app');
if (!root) throw new Error('missing #app');

new App({
  root,
  origin: new URL(location.origin),
  transport: transportChoiceFrom(location.search),
  heartbeatMs: heartbeatFrom(location.search),
  storage: localStorage,
}).start();
