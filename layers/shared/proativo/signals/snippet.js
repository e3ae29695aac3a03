/* Proativo browsing signals. The store adds, on every page:
 *   <script>window.proativo = {consent: <the visitor agreed?>, pageType: "product", productId: "123", productName: "…",
 *           cart: {value: 199.9, items: 1}, checkoutStep: "shipping", onInvite: function (a) { ... }};</script>
 *   <script async src="https://<proativo api>/s/<store id>.js"></script>
 * Without consent it sends and stores nothing. It never throws, never blocks, and asks nothing of the page. */
(function () {
  "use strict";
  try {
    var cfg = (window.proativo = window.proativo || {});
    var me = document.currentScript;
    var found = me && /^(https?:\/\/.+)\/s\/([A-Za-z0-9_-]+)\.js(?:[?#].*)?$/.exec(me.src);
    if (!found || cfg.__started) return;
    cfg.__started = true;
    var endpoint = found[1] + "/signals/" + found[2];
    var queue = [];
    var timer = null;
    var exited = false;
    var IDLE = [30, 60, 90, 120];

    var allowed = function () { return cfg.consent === true; };
    var id = function (store, key) {
      try {
        var value = store.getItem(key);
        if (!value) {
          var bytes = new Uint8Array(16);
          (window.crypto || {}).getRandomValues(bytes);
          value = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
          store.setItem(key, value);
        }
        return value;
      } catch (e) { return null; }
    };
    var send = function () {
      timer = null;
      if (!queue.length || !allowed() || !window.fetch) return;
      var visitor = id(window.localStorage, "proativo_visitor");
      var session = id(window.sessionStorage, "proativo_session");
      if (!visitor || !session) return;
      var body = {visitor: visitor, session: session, consent: true, events: queue.splice(0, 50)};
      if (cfg.customer && cfg.customer.id && cfg.customer.sig) body.customer = {id: String(cfg.customer.id), sig: String(cfg.customer.sig)};
      if (cfg.locale) body.locale = String(cfg.locale);
      window.fetch(endpoint, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body),
        keepalive: true, credentials: "omit", mode: "cors"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(act, function () {});
    };
    var push = function (type, fields, now) {
      if (!allowed()) return;
      var signal = {type: type, at: new Date().toISOString()};
      for (var k in fields) if (fields[k] !== undefined && fields[k] !== null && fields[k] !== "") signal[k] = fields[k];
      queue.push(signal);
      if (now) send(); else if (!timer) timer = setTimeout(send, 1000);
    };
    var act = function (answer) {
      if (!answer || !answer.actions) return;
      for (var i = 0; i < answer.actions.length; i++) {
        var a = answer.actions[i];
        try {
          if (typeof cfg.onInvite === "function") cfg.onInvite(a, function () { push("invite_accepted", {rule: a.rule}, true); });
          else show(a);
        } catch (e) { /* the store's hook failed: the page goes on */ }
      }
    };
    var show = function (a) {
      if (a.channel === "chat") return; // a chat is the store's to open: without its hook there is none to offer
      var box = document.createElement("div");
      box.setAttribute("role", "dialog");
      box.setAttribute("data-proativo", a.rule);
      box.style.cssText = "position:fixed;right:16px;bottom:16px;max-width:320px;z-index:2147483000;background:#fff;" +
        "color:#222;border:1px solid #ccc;border-radius:8px;padding:12px 14px;font:14px/1.4 sans-serif;" +
        "box-shadow:0 4px 16px rgba(0,0,0,.15)";
      var text = document.createElement("p");
      text.style.margin = "0 0 8px";
      text.textContent = a.message;
      box.appendChild(text);
      if (a.url) {
        var link = document.createElement("a");
        link.href = a.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = "WhatsApp";
        link.onclick = function () { push("invite_accepted", {rule: a.rule}, true); };
        box.appendChild(link);
      }
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "\u00d7";
      close.setAttribute("aria-label", "close");
      close.style.cssText = "position:absolute;top:4px;right:8px;border:0;background:none;font-size:18px;cursor:pointer";
      close.onclick = function () { box.remove(); };
      box.appendChild(close);
      document.body.appendChild(box);
    };

    // What this page is.
    push("page_view", {page: cfg.pageType || "other"});
    if (cfg.productId) {
      push("product_view", {product_id: String(cfg.productId), product_name: cfg.productName ? String(cfg.productName) : null,
        product_url: location.origin + location.pathname});
    }
    if (cfg.cart) push("cart", {cart_value: Number(cfg.cart.value) || 0, cart_items: parseInt(cfg.cart.items, 10) || 0});
    if (cfg.checkoutStep) push("checkout_step", {step: String(cfg.checkoutStep)});
    // A page that changes without loading (a one-page checkout) tells us itself.
    cfg.track = function (type, fields) { try { push(type, fields || {}); } catch (e) { /* never the page's problem */ } };

    // Idle: no move for 30, 60, 90 and 120 seconds.
    var idle = [];
    var still = function () {
      for (var i = 0; i < idle.length; i++) clearTimeout(idle[i]);
      idle = IDLE.map(function (s) { return setTimeout(function () { push("idle", {seconds: s}, true); }, s * 1000); });
    };
    ["mousemove", "keydown", "scroll", "touchstart"].forEach(function (name) {
      window.addEventListener(name, still, {passive: true});
    });
    still();
    // Exit intent (desktop): the pointer leaves through the top of the window.
    document.addEventListener("mouseout", function (e) {
      if (!exited && !e.relatedTarget && e.clientY <= 0) { exited = true; push("exit_intent", {}, true); }
    });
    window.addEventListener("pagehide", function () { try { send(); } catch (e) { /* leaving anyway */ } });
  } catch (e) { /* whatever happened, the store's page is not ours to break */ }
})();
