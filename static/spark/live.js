/* SparkLive — the one live socket of a Spark page (/ws/live/), reusable by any page.
 *
 *   <script src="{% static 'spark/live.js' %}"></script>
 *   const sub = SparkLive.connect(["ticker:BTCUSDT", "orders"], (msg) => {
 *     // msg = {type: "snapshot" | "event", topic: "orders", data: {...}, ts: <unix s>}
 *   });
 *   sub.subscribe(["depth:BTCUSDT"]);  sub.unsubscribe(["orders"]);  sub.close();
 *   SparkLive.onStatus((state) => ...);   // "connecting" | "open" | "closed"
 *   SparkLive.showState(el, state);       // the state in the page's language (el's data-<state>)
 *   SparkLive.number("61234.50")          // "61.234,5" on a Turkish page, "61,234.5" in English
 *
 * Topics: ticker:<SYMBOL>, depth:<SYMBOL>, kline:<SYMBOL> (the 1m bar; coalesced, at most every
 * 100 ms), orders, positions,
 * account, risk, streams. Each subscription gets a snapshot first, then events. Every call
 * shares one socket per page; it reconnects by itself (1 s doubling to 30 s, with jitter) and
 * subscribes again, so each topic's next snapshot replaces whatever was missed meanwhile.
 * Logged-in pages only: the server refuses anonymous and cross-origin sockets.
 */
(function (global) {
  "use strict";
  let socket = null;
  let attempt = 0;
  let state = "closed";
  const subs = new Set();
  const statusListeners = new Set();

  function wanted() {
    const all = new Set();
    subs.forEach((s) => s.topics.forEach((t) => all.add(t)));
    return Array.from(all);
  }

  function setState(next) {
    state = next;
    statusListeners.forEach((fn) => { try { fn(next); } catch (e) { console.error(e); } });
  }

  function send(obj) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
  }

  function open() {
    if (socket) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/live/");
    setState("connecting");
    socket.onopen = () => {
      attempt = 0;
      setState("open");
      const topics = wanted();
      if (topics.length) send({ action: "subscribe", topics: topics });
    };
    socket.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      subs.forEach((s) => {
        if (!msg.topic || s.topics.has(msg.topic)) {
          try { s.onMessage(msg); } catch (e) { console.error(e); }
        }
      });
    };
    socket.onclose = () => {
      socket = null;
      setState("closed");
      if (!subs.size) return;
      const ceiling = Math.min(30000, 1000 * Math.pow(2, attempt++));
      setTimeout(open, Math.random() * ceiling);
    };
  }

  function connect(topics, onMessage) {
    const sub = {
      topics: new Set(topics || []),
      onMessage: onMessage || function () {},
      subscribe(more) {
        more.forEach((t) => this.topics.add(t));
        send({ action: "subscribe", topics: more });
      },
      unsubscribe(less) {
        less.forEach((t) => this.topics.delete(t));
        const still = new Set(wanted());
        const gone = less.filter((t) => !still.has(t));
        if (gone.length) send({ action: "unsubscribe", topics: gone });
      },
      close() {
        subs.delete(this);
        this.unsubscribe(Array.from(this.topics));
        if (!subs.size && socket) socket.close();
      },
    };
    subs.add(sub);
    if (!socket) open();
    else if (socket.readyState === WebSocket.OPEN) send({ action: "subscribe", topics: topics });
    return sub;
  }

  // Intl formats a decimal string exactly (no float round trip); trailing zeros are dropped.
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "tr", {
    maximumFractionDigits: 8,
  });
  function number(value) {
    if (value === null || value === undefined || value === "") return "—";
    const s = String(value).trim();
    return /^-?\d+(\.\d+)?$/.test(s) ? numbers.format(s) : s;
  }

  // The label comes from the element's data-connecting / data-open / data-closed (translated by
  // the template); data-state keeps the stable code for scripts and tests.
  function showState(el, state) {
    if (!el) return;
    el.dataset.state = state;
    el.textContent = el.dataset[state] || state;
  }

  function onStatus(fn) { statusListeners.add(fn); fn(state); return () => statusListeners.delete(fn); }

  global.SparkLive = {
    connect: connect, onStatus: onStatus, showState: showState, number: number,
    get state() { return state; },
  };
})(window);
