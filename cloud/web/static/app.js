// plantwatch pages: live service-level countdowns, live refresh, label scanning.
(function () {
  "use strict";

  // The page's language gives the words: "in {t}", "{t} late" and the units "h min s".
  const words = document.body.dataset;
  const units = (words.clockUnits || "h min s").split(" ");

  function fmt(ms) {
    const late = ms < 0;
    let s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const t = ((h ? h + " " + units[0] + " " : "") + m + " " + units[1] + " " +
      (h ? "" : s + " " + units[2])).trim();
    return (late ? words.clockLate || "{t} late" : words.clockIn || "in {t}").replace("{t}", t);
  }

  function tick() {
    const now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      const left = Date.parse(el.dataset.due) - now;
      el.textContent = (el.dataset.what ? el.dataset.what + " " : "") + fmt(left);
      el.classList.toggle("late", left < 0);
    });
  }

  // Pages marked live poll the newest change and re-render their main part when it moves.
  function live() {
    const main = document.getElementById("main");
    if (!main || !main.dataset.live) return;
    let version = null;
    async function poll() {
      try {
        const r = await fetch("/app/changes", { cache: "no-store", credentials: "same-origin" });
        if (r.ok) {
          const v = (await r.json()).version;
          if (version !== null && v !== version && !main.contains(document.activeElement)) {
            const page = await fetch(location.href, { cache: "no-store", credentials: "same-origin" });
            const doc = new DOMParser().parseFromString(await page.text(), "text/html");
            const fresh = doc.getElementById("main");
            if (fresh) { main.innerHTML = fresh.innerHTML; bindScan(); tick(); }
          }
          version = v;
        }
      } catch (e) { /* offline for a moment: try again */ }
      setTimeout(poll, 500);
    }
    poll();
  }

  // "Scan label": the browser's barcode detector where it exists; typing works everywhere.
  function bindScan() {
    document.querySelectorAll("button.scan").forEach(function (btn) {
      const input = document.getElementById(btn.dataset.target);
      if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { btn.hidden = true; return; }
      btn.onclick = async function () {
        const video = document.getElementById("camera") || document.body.appendChild(document.createElement("video"));
        video.id = "camera"; video.setAttribute("playsinline", ""); video.hidden = false;
        const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        video.srcObject = stream; await video.play();
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        for (let i = 0; i < 300; i++) {
          const codes = await detector.detect(video).catch(function () { return []; });
          if (codes.length) { input.value = codes[0].rawValue.replace(/\/$/, "").split("/").pop(); break; }
          await new Promise(function (r) { setTimeout(r, 100); });
        }
        stream.getTracks().forEach(function (t) { t.stop(); });
        video.hidden = true;
      };
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick(); setInterval(tick, 1000); live(); bindScan();
  });
})();
