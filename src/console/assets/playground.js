// The Patchbay playground: GraphiQL with the API key kept in this browser's local storage.
// Queries and mutations go over HTTP; subscriptions over graphql-transport-ws.
(function () {
  'use strict';
  const STORAGE_KEY = 'patchbay.apiKey';
  const input = document.getElementById('api-key');
  const status = document.getElementById('status');

  function apiKey() { return localStorage.getItem(STORAGE_KEY) || ''; }
  function showStatus() { status.textContent = apiKey() ? 'key saved in this browser' : 'paste your API key'; }

  input.value = apiKey();
  showStatus();
  document.getElementById('save-key').addEventListener('click', function () {
    localStorage.setItem(STORAGE_KEY, input.value.trim());
    showStatus();
    render();
  });
  document.getElementById('forget-key').addEventListener('click', function () {
    localStorage.removeItem(STORAGE_KEY);
    input.value = '';
    showStatus();
  });

  async function httpFetch(params) {
    if (!apiKey()) {
      return { errors: [{ message: 'Paste your API key (pb_live_…) in the bar above and press Save.' }] };
    }
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/graphql-response+json, application/json',
        'Authorization': 'Bearer ' + apiKey(),
      },
      body: JSON.stringify(params),
    });
    return response.json();
  }

  // A minimal graphql-transport-ws client yielding each `next` payload.
  function wsSubscribe(params) {
    const url = location.origin.replace(/^http/, 'ws') + '/graphql/ws';
    const queue = [];
    let waiting = null;
    let finished = false;
    const push = function (item) {
      if (finished) return;
      if (item.done) finished = true;
      if (waiting) { const resolve = waiting; waiting = null; resolve(item); } else { queue.push(item); }
    };
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ' + apiKey() } }));
    };
    socket.onmessage = function (event) {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: params }));
      } else if (message.type === 'next') {
        push({ value: message.payload, done: false });
      } else if (message.type === 'error') {
        push({ value: { errors: message.payload }, done: false });
        push({ value: undefined, done: true });
      } else if (message.type === 'complete') {
        push({ value: undefined, done: true });
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      }
    };
    socket.onclose = function (event) {
      if (event.code !== 1000) {
        push({ value: { errors: [{ message: 'connection closed: ' + event.code + ' ' + event.reason }] }, done: false });
      }
      push({ value: undefined, done: true });
    };
    return {
      [Symbol.asyncIterator]() { return this; },
      next() {
        if (queue.length) return Promise.resolve(queue.shift());
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise(function (resolve) { waiting = resolve; });
      },
      return() {
        socket.close(1000);
        finished = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  function fetcher(params) {
    return /^\s*subscription\b/m.test(params.query || '') ? wsSubscribe(params) : httpFetch(params);
  }

  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  function render() {
    root.render(React.createElement(GraphiQL, {
      key: apiKey(),
      fetcher: fetcher,
      defaultQuery: '# Welcome to Patchbay. Paste your API key above, then run:\n{\n  viewer {\n    name\n    scopes\n    workspace { slug name }\n  }\n}\n',
    }));
  }
  render();
})();
