/*
 * MegiLance notification bell, made live over the WebSocket (/ws/notifications/). Loaded on every page for
 * signed-in people: each `notification` frame adds one to the bell's count and shows a small toast.
 * Reconnects by itself (1 s doubling to 30 s, with jitter) and pings every 30 s. Text only, never HTML.
 */
(function () {
  "use strict";

  var badge = document.getElementById("notification-count");
  if (!badge || !("WebSocket" in window)) {
    return;
  }
  var number = badge.querySelector(".bell__number");

  var PING_EVERY = 30000;
  var PONG_WITHIN = 10000;
  var BACKOFF_FIRST = 1000;
  var BACKOFF_MAX = 30000;
  var TOAST_FOR = 8000;
  var MAX_TOASTS = 3;

  var socket = null;
  var attempts = 0;
  var reconnectTimer = null;
  var pingTimer = null;
  var pongTimer = null;
  var stopped = false;
  var shown = new Set();
  var toasts = null;

  function setCount(count) {
    count = Math.max(0, count);
    badge.dataset.count = String(count);
    number.textContent = String(count);
  }

  function toastArea() {
    if (!toasts) {
      toasts = document.createElement("div");
      toasts.className = "toasts";
      document.body.appendChild(toasts);
    }
    return toasts;
  }

  function link(data) {
    data = data || {};
    if (typeof data.url === "string" && data.url.charAt(0) === "/" && data.url.charAt(1) !== "/") {
      return data.url;
    }
    var routes = [["chat_id", "/messages/"], ["contract_id", "/contracts/"], ["project_id", "/projects/"]];
    for (var i = 0; i < routes.length; i += 1) {
      var value = data[routes[i][0]];
      if (value !== undefined && value !== null && /^\d+$/.test(String(value))) {
        return routes[i][1] + value + "/";
      }
    }
    return "/notifications/";
  }

  function dismiss(toast) {
    if (toast.parentNode) {
      toast.parentNode.removeChild(toast);
    }
  }

  function showToast(frame) {
    var area = toastArea();
    while (area.children.length >= MAX_TOASTS) {
      dismiss(area.firstElementChild);
    }
    var toast = document.createElement("div");
    toast.className = "toast";
    toast.setAttribute("role", "status");
    var title = document.createElement("a");
    title.className = "toast__title";
    title.href = link(frame.data);
    title.textContent = frame.title || gettext("New notification");
    toast.appendChild(title);
    if (frame.message) {
      var text = document.createElement("p");
      text.className = "toast__message";
      text.textContent = frame.message.length > 160 ? frame.message.slice(0, 159) + "…" : frame.message;
      toast.appendChild(text);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close button--link";
    close.textContent = gettext("Dismiss");
    close.addEventListener("click", function () { dismiss(toast); });
    toast.appendChild(close);
    area.appendChild(toast);
    var timer = setTimeout(function () { dismiss(toast); }, TOAST_FOR);
    toast.addEventListener("mouseenter", function () { clearTimeout(timer); });
    toast.addEventListener("focusin", function () { clearTimeout(timer); });
  }

  function onNotification(frame) {
    if (frame.id && shown.has(frame.id)) {
      return;
    }
    shown.add(frame.id);
    setCount((Number(badge.dataset.count) || 0) + 1);
    showToast(frame);
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function ping() {
    if (send({type: "ping"})) {
      clearTimeout(pongTimer);
      pongTimer = setTimeout(function () {
        if (socket) {
          socket.close();
        }
      }, PONG_WITHIN);
    }
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var current = new WebSocket(scheme + window.location.host + "/ws/notifications/");
    socket = current;
    current.onopen = function () {
      attempts = 0;
      pingTimer = setInterval(ping, PING_EVERY);
    };
    current.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      clearTimeout(pongTimer);
      if (frame.type === "notification") {
        onNotification(frame);
      }
    };
    current.onclose = function (event) {
      if (socket !== current) {
        return;
      }
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      socket = null;
      if (event.code === 4401 || event.code === 4403) {
        stopped = true; // signed out (in another tab, say): the next page load decides
        return;
      }
      var ceiling = Math.min(BACKOFF_MAX, BACKOFF_FIRST * Math.pow(2, attempts));
      attempts += 1;
      reconnectTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    };
  }

  window.addEventListener("online", function () {
    if (!socket && !stopped) {
      connect();
    }
  });

  connect();
}());
