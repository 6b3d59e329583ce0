// The chat page: sends what the user types or taps to /api and shows the replies.
// Everything from the server is shown with textContent, never as HTML.
"use strict";
(() => {
  const POLL_MS = 60000; // how often a visible page asks for messages that waited (e.g. a waitlist seat)
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const input = document.getElementById("text");
  const send = document.getElementById("send");
  const wording = document.body.dataset; // Chinese wording lives in index.html
  let busy = false;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)pf_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function call(method, path, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrfToken();
      options.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(path, options);
      const data = await response.json().catch(() => ({}));
      if (response.ok) return data;
      return { replies: [{ text: data.error || wording.failed, error: true }] };
    } catch (err) {
      return { replies: [{ text: wording.offline, error: true }] };
    }
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function bubble(reply, kind) {
    const item = element("div", "msg " + kind + (reply.error ? " error" : ""));
    item.append(element("div", "text", reply.text));
    if ((reply.calls || []).length) {
      const line = element("div", "calls");
      for (const number of reply.calls) {
        if (!/^[0-9]{3,11}$/.test(number)) continue;
        const link = element("a", "call", "\u{1F4DE} " + number);
        link.href = "tel:" + number;
        line.append(link);
      }
      item.append(line);
    }
    const file = reply.attachment;
    if (file && file.url.startsWith("/api/attachment/")) {
      if (/\.png$/.test(file.filename)) {  // a sign-up's check-in QR code: shown, not only downloadable
        const image = element("img", "qr");
        image.src = file.url;
        image.alt = file.filename;
        item.append(image);
      }
      const link = element("a", "file", "\u{1F4C5} " + wording.file + file.filename);
      link.href = file.url;
      link.download = file.filename;
      item.append(link);
    }
    for (const row of reply.buttons || []) {
      const line = element("div", "chips");
      for (const button of row) {
        const chip = element("button", "chip", button.label);
        chip.type = "button";
        chip.dataset.data = button.data;
        line.append(chip);
      }
      item.append(line);
    }
    return item;
  }

  // A reply marked "edit" replaces the message whose button was tapped, as Telegram edits it.
  function show(data, origin) {
    let first = null;
    for (const reply of data.replies || []) {
      const item = bubble(reply, "bot");
      if (reply.edit && origin && origin.isConnected) {
        origin.replaceWith(item);
        origin = item;
      } else {
        log.append(item);
      }
      first = first || item;
    }
    for (const reply of data.inbox || []) {
      const item = bubble(reply, "bot notice");
      log.append(item);
      first = first || item;
    }
    if (first) first.scrollIntoView({ block: "start" });
  }

  async function exchange(method, path, body, origin) {
    busy = true;
    send.disabled = true;
    const typing = element("div", "msg bot typing", "\u2026");
    log.append(typing);
    typing.scrollIntoView({ block: "end" });
    const data = await call(method, path, body);
    typing.remove();
    show(data, origin);
    busy = false;
    send.disabled = false;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    log.append(bubble({ text }, "me"));
    exchange("POST", "/api/message", { text });
  });

  log.addEventListener("click", (event) => {
    const chip = event.target.closest("button.chip");
    if (!chip || busy) return;
    chip.classList.add("chosen");
    exchange("POST", "/api/button", { data: chip.dataset.data }, chip.closest(".msg"));
  });

  document.getElementById("menu").addEventListener("click", () => {
    if (!busy) exchange("POST", "/api/start", {});
  });

  // Every API call that may change something is a POST with the CSRF token, so a link from elsewhere cannot.
  async function poll() {
    if (busy || document.hidden) return;
    const data = await call("POST", "/api/inbox", {});
    if (data.inbox && data.inbox.length) show({ inbox: data.inbox });
  }
  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", poll);

  // A link such as /?start=book (from the WeChat account) or /?start=consent_<code> (for a guardian) opens that
  // flow; the address is then cleaned so a reload does not start it again.
  const deepLink = new URLSearchParams(location.search).get("start") || "";
  if (deepLink) history.replaceState(null, "", location.pathname);
  exchange("POST", "/api/start", /^[A-Za-z0-9_]{1,32}$/.test(deepLink) ? { start: deepLink } : {});
})();
