/*
 * MegiLance chat page, made live over the WebSocket (/ws/chat/<id>/). Without JavaScript, or until the
 * socket is open, the page is a plain form that posts and reloads; this only enhances it.
 *
 * - sends `message.send` with a client_id instead of posting, and shows the message at once ("Sending…");
 *   the stored copy (`message.new` with the same client_id) replaces it, and anything not confirmed is sent
 *   again with the same client_id after a reconnect, so the server stores it once
 * - appends `message.new` frames, once each (by id); reconnects with ?after=<last id seen> so nothing is
 *   missed or doubled
 * - "… is typing" from `typing` frames; sends typing.start / typing.stop (3 s idle or on send)
 * - presence, read receipts, `message.read` for the newest message while the page is visible
 * - reconnects by itself (1 s doubling to 30 s, with jitter) and pings every 30 s
 * Everything from the network is inserted as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root || root.dataset.live !== "true" || !("WebSocket" in window)) {
    return;
  }

  var chatId = root.dataset.chatId;
  var userId = Number(root.dataset.userId);
  var otherId = Number(root.dataset.otherId);
  var otherName = root.dataset.otherName || "The other person";
  var fileBase = root.dataset.fileUrl;
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var textarea = form.querySelector("textarea");
  var fileInput = form.querySelector('input[type="file"]');
  var typingLine = document.getElementById("chat-typing");
  var presenceBadge = document.getElementById("chat-presence");
  var connectionLine = document.getElementById("chat-connection");
  var errorBox = document.getElementById("chat-errors");

  var PING_EVERY = 30000;
  var PONG_WITHIN = 10000;
  var TYPING_IDLE = 3000;
  var TYPING_SHOWN_FOR = 6000;
  var BACKOFF_FIRST = 1000;
  var BACKOFF_MAX = 30000;

  var seen = new Set();
  var lastId = Number(root.dataset.lastId) || 0;
  var pending = new Map(); // client_id -> {content, element}
  var socket = null;
  var attempts = 0;
  var reconnectTimer = null;
  var pingTimer = null;
  var pongTimer = null;
  var stopped = false;
  var typingSent = false;
  var typingTimer = null;
  var otherTypingTimer = null;
  var lastReadSent = 0;
  var otherReadUpTo = Number(root.dataset.otherRead) || 0;

  Array.prototype.forEach.call(log.querySelectorAll("li[data-id]"), function (item) {
    seen.add(Number(item.dataset.id));
  });
  Array.prototype.forEach.call(log.querySelectorAll("time[datetime]"), function (time) {
    time.textContent = formatTime(time.getAttribute("datetime"));
  });

  // --- helpers ---------------------------------------------------------------------------------

  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return "";
    }
    return date.toLocaleString([], {month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"});
  }

  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function formatSize(bytes) {
    if (!bytes) {
      return "";
    }
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    if (bytes < 1024 * 1024) {
      return (bytes / 1024).toFixed(1) + " KB";
    }
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
  }

  function setConnection(text) {
    connectionLine.textContent = text;
  }

  function showError(text) {
    errorBox.textContent = "";
    if (text) {
      errorBox.appendChild(element("p", "error", text));
    }
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // --- rendering (the same markup as templates/messaging/_message.html) --------------------------

  function bubble(message, mine) {
    var item = element("li", "bubble " + (mine ? "bubble--mine" : "bubble--theirs"));
    if (message.id) {
      item.id = "message-" + message.id;
      item.dataset.id = String(message.id);
    }
    if (message.client_id) {
      item.dataset.clientId = message.client_id;
    }
    var meta = element("p", "bubble__meta");
    meta.appendChild(element("span", "bubble__sender", mine ? gettext("You") : otherName));
    meta.appendChild(document.createTextNode(" "));
    var time = element("time", null, message.created_at ? formatTime(message.created_at) : "");
    if (message.created_at) {
      time.setAttribute("datetime", message.created_at);
    }
    meta.appendChild(time);
    item.appendChild(meta);
    if (message.content) {
      item.appendChild(element("p", "bubble__text", message.content));
    }
    if (message.attachment && message.id) {
      var file = element("p", "bubble__file");
      var link = element("a", null, message.attachment.name || gettext("Attached file"));
      link.href = fileBase + encodeURIComponent(String(message.id)) + "/";
      link.setAttribute("download", "");
      file.appendChild(link);
      var size = formatSize(message.attachment.size);
      if (size) {
        file.appendChild(document.createTextNode(" "));
        file.appendChild(element("span", "muted", "(" + size + ")"));
      }
      item.appendChild(file);
    }
    if (mine) {
      var status = message.id ? (message.id <= otherReadUpTo ? gettext("Read") : gettext("Sent")) : gettext("Sending…");
      item.appendChild(element("p", "bubble__status", status));
    }
    return item;
  }

  function removeEmptyNote() {
    var empty = document.getElementById("chat-empty");
    if (empty) {
      empty.remove();
    }
  }

  function onMessage(message) {
    var id = Number(message.id);
    if (!id || seen.has(id)) {
      return;
    }
    seen.add(id);
    lastId = Math.max(lastId, id);
    var mine = Number(message.sender_id) === userId;
    var stick = mine || nearBottom();
    var fresh = bubble(message, mine);
    var optimistic = null;
    if (mine && message.client_id && pending.has(message.client_id)) {
      optimistic = pending.get(message.client_id).element;
      pending.delete(message.client_id);
    }
    if (optimistic && optimistic.parentNode === log) {
      log.replaceChild(fresh, optimistic);
    } else {
      log.appendChild(fresh);
    }
    removeEmptyNote();
    if (!mine) {
      hideTyping();
    }
    if (stick) {
      scrollToBottom();
    }
    markRead();
  }

  function markRead() {
    if (document.visibilityState !== "visible" || lastId <= lastReadSent) {
      return;
    }
    if (send({type: "message.read", message_id: lastId})) {
      lastReadSent = lastId;
    }
  }

  function onRead(frame) {
    if (Number(frame.user_id) !== otherId) {
      return;
    }
    otherReadUpTo = Math.max(otherReadUpTo, Number(frame.message_id) || 0);
    Array.prototype.forEach.call(log.querySelectorAll("li.bubble--mine[data-id]"), function (item) {
      var status = item.querySelector(".bubble__status");
      if (status && Number(item.dataset.id) <= otherReadUpTo) {
        status.textContent = gettext("Read");
      }
    });
  }

  function showTyping() {
    typingLine.textContent = interpolate(gettext("%(name)s is typing…"), {name: otherName}, true);
    clearTimeout(otherTypingTimer);
    otherTypingTimer = setTimeout(hideTyping, TYPING_SHOWN_FOR); // in case the "stop" frame is lost
  }

  function hideTyping() {
    clearTimeout(otherTypingTimer);
    typingLine.textContent = "";
  }

  function setPresence(online) {
    presenceBadge.className = "presence presence--" + (online ? "online" : "offline");
    var text = presenceBadge.querySelector(".presence__text");
    text.textContent = online ? gettext("Online") : gettext("Offline");
  }

  // --- the socket --------------------------------------------------------------------------------

  function url() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + "/ws/chat/" + encodeURIComponent(chatId) + "/?after=" + lastId;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) {
      return;
    }
    var current = new WebSocket(url());
    socket = current;
    current.onopen = function () {
      attempts = 0;
      root.classList.add("chat--live");
      setConnection("");
      pingTimer = setInterval(ping, PING_EVERY);
      pending.forEach(function (entry, clientId) { // not confirmed before the last connection dropped
        send({type: "message.send", content: entry.content, client_id: clientId});
      });
      markRead();
    };
    current.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      clearTimeout(pongTimer);
      switch (frame.type) {
        case "message.new":
          onMessage(frame);
          break;
        case "typing":
          if (Number(frame.user_id) === otherId) {
            if (frame.is_typing) {
              showTyping();
            } else {
              hideTyping();
            }
          }
          break;
        case "presence":
          if (Number(frame.user_id) === otherId) {
            setPresence(Boolean(frame.online));
            if (!frame.online) {
              hideTyping();
            }
          }
          break;
        case "message.read":
          onRead(frame);
          break;
        case "error":
          onServerError(frame.detail);
          break;
        default:
          break; // pong and anything newer
      }
    };
    current.onclose = function (event) {
      if (socket !== current) {
        return;
      }
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      socket = null;
      root.classList.remove("chat--live");
      hideTyping();
      if (event.code === 4401 || event.code === 4403) {
        stopped = true;
        setConnection(gettext("Live updates are off: reload the page (you may need to log in again)."));
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) {
      return;
    }
    var ceiling = Math.min(BACKOFF_MAX, BACKOFF_FIRST * Math.pow(2, attempts));
    var delay = ceiling / 2 + Math.random() * ceiling / 2; // jitter: many pages don't all come back at once
    attempts += 1;
    setConnection(gettext("Reconnecting…"));
    reconnectTimer = setTimeout(connect, delay);
  }

  function ping() {
    if (send({type: "ping"})) {
      clearTimeout(pongTimer);
      pongTimer = setTimeout(function () { // no answer: the connection is dead without knowing it
        if (socket) {
          socket.close();
        }
      }, PONG_WITHIN);
    }
  }

  function onServerError(detail) {
    // Frames are answered in order, so an error after a send belongs to the oldest unconfirmed message.
    var oldest = pending.keys().next();
    if (!oldest.done) {
      var entry = pending.get(oldest.value);
      pending.delete(oldest.value);
      entry.element.classList.add("bubble--failed");
      var status = entry.element.querySelector(".bubble__status");
      if (status) {
        status.textContent = gettext("Not sent");
      }
      if (!textarea.value) {
        textarea.value = entry.content;
      }
    }
    showError(detail || gettext("Something went wrong. Try again."));
  }

  // --- typing and sending ------------------------------------------------------------------------

  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent) {
      send({type: "typing.stop"});
      typingSent = false;
    }
  }

  textarea.addEventListener("input", function () {
    if (!textarea.value.trim()) {
      stopTyping();
      return;
    }
    if (!typingSent && send({type: "typing.start"})) {
      typingSent = true;
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE);
  });

  textarea.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter starts a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.dispatchEvent(new Event("submit", {cancelable: true}));
      }
    }
  });

  form.addEventListener("submit", function (event) {
    var content = textarea.value.trim();
    var hasFile = fileInput && fileInput.files && fileInput.files.length > 0;
    if (hasFile || !content || !socket || socket.readyState !== WebSocket.OPEN) {
      return; // files, empty messages and offline sends go the plain way: a POST the server answers
    }
    event.preventDefault();
    var clientId = newClientId();
    var optimistic = bubble({client_id: clientId, content: content, created_at: new Date().toISOString()}, true);
    optimistic.classList.add("bubble--pending");
    pending.set(clientId, {content: content, element: optimistic});
    log.appendChild(optimistic);
    removeEmptyNote();
    scrollToBottom();
    showError("");
    send({type: "message.send", content: content, client_id: clientId});
    textarea.value = "";
    stopTyping();
    textarea.focus();
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      markRead();
      if (!socket && !stopped) {
        connect();
      }
    }
  });
  window.addEventListener("online", function () {
    if (!socket && !stopped) {
      connect();
    }
  });

  scrollToBottom();
  connect();
}());
