  // /static/demo.js, part call.js: the call button. The chosen customer phones the store from the browser: the
  // microphone at 16 kHz as PCM over /ws/voice/pcm (voice/serializers/pcm.py), the bot's audio played as it
  // comes, each `mark` echoed once the audio before it has played (so the call knows what was heard), `clear`
  // stops playback at once (barge-in), and the call's transcript shown as the server relays it.
  // Runs inside the script's one IIFE, after page.js (uses its state, $, currentTarget).
  var RATE = 16000;
  var call = null;

  function renderCall() {
    var t = T[state.ui], b = $("call");
    b.disabled = !state.selected && !call;
    b.textContent = call ? t.callEnd : t.callStart;
    b.setAttribute("data-live", call ? "true" : "false");
    var status = $("call-status");
    if (call) status.textContent = call.live ? t.callLive : t.callConnecting;
  }

  function callStatus(text) { $("call-panel").hidden = false; $("call-status").textContent = text; }

  function caption(who, text) {
    var li = el("li");
    li.setAttribute("data-who", who);
    li.appendChild(el("b", "", (T[state.ui].callWho[who] || who) + ":"));
    li.appendChild(document.createTextNode(text));
    $("call-log").appendChild(li);
  }

  function socketUrl() { return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/voice/pcm"; }

  function startCall() {
    var target = currentTarget();
    $("call-log").textContent = "";
    callStatus(T[state.ui].callConnecting);
    navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } })
      .then(function (stream) {
        var ctx = new AudioContext({ sampleRate: RATE });
        var ws = new WebSocket(socketUrl());
        ws.binaryType = "arraybuffer";
        call = { ctx: ctx, ws: ws, stream: stream, playhead: 0, sources: [], marks: [], live: false };
        renderCall();
        ws.onopen = function () {
          ws.send(JSON.stringify({ event: "start", sampleRate: RATE, customParameters: {
            customer_id: target.customerId || "", customer_sig: target.customerSig || "", language: target.language } }));
          var source = ctx.createMediaStreamSource(stream);
          var tap = ctx.createScriptProcessor(1024, 1, 1);  // (its output stays silent)
          tap.onaudioprocess = function (e) {
            if (ws.readyState !== WebSocket.OPEN) return;
            var f = e.inputBuffer.getChannelData(0), pcm = new Int16Array(f.length);
            for (var i = 0; i < f.length; i++) pcm[i] = Math.max(-1, Math.min(1, f[i])) * 32767;
            ws.send(pcm.buffer);
          };
          source.connect(tap);
          tap.connect(ctx.destination);
          call.tap = tap; call.source = source; call.live = true;
          renderCall();
        };
        ws.onmessage = function (e) {
          if (!call || call.ws !== ws) return;
          if (typeof e.data !== "string") { play(new Int16Array(e.data)); return; }
          var m; try { m = JSON.parse(e.data); } catch (_) { return; }
          if (m.event === "mark") markWhenPlayed(m.name);
          else if (m.event === "clear") clearPlayback();
          else if (m.event === "transcript" && m.text) caption(m.who, m.text);
        };
        ws.onclose = function () { if (call && call.ws === ws) ended(); };
      })
      .catch(function (e) {
        call = null;
        renderCall();
        callStatus(T[state.ui].callNoMic + (e && e.message ? e.message : e));
      });
  }

  function play(pcm) {
    var ctx = call.ctx, buf = ctx.createBuffer(1, pcm.length, RATE), ch = buf.getChannelData(0);
    for (var i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
    var s = ctx.createBufferSource();
    s.buffer = buf;
    s.connect(ctx.destination);
    var at = Math.max(ctx.currentTime, call.playhead);
    s.start(at);
    call.playhead = at + buf.duration;
    call.sources.push(s);
    s.onended = function () { if (call) call.sources = call.sources.filter(function (x) { return x !== s; }); };
  }

  function echo(name) {
    if (call && call.ws.readyState === WebSocket.OPEN) call.ws.send(JSON.stringify({ event: "mark", name: name }));
  }

  function markWhenPlayed(name) {
    var wait = Math.max(0, call.playhead - call.ctx.currentTime) * 1000;
    var m = { name: name };
    m.timer = setTimeout(function () {
      if (call) call.marks = call.marks.filter(function (x) { return x !== m; });
      echo(name);
    }, wait);
    call.marks.push(m);
  }

  function clearPlayback() {  // the caller spoke over the bot: silence now, and say so for every waiting mark
    call.sources.forEach(function (s) { try { s.stop(); } catch (_) {} });
    call.sources = [];
    call.playhead = call.ctx.currentTime;
    var waiting = call.marks;
    call.marks = [];
    waiting.forEach(function (m) { clearTimeout(m.timer); echo(m.name); });
  }

  function ended() {
    var c = call;
    call = null;
    if (!c) return;
    c.marks.forEach(function (m) { clearTimeout(m.timer); });
    if (c.tap) { c.tap.onaudioprocess = null; try { c.tap.disconnect(); c.source.disconnect(); } catch (_) {} }
    c.stream.getTracks().forEach(function (t) { t.stop(); });
    c.ctx.close().catch(function () {});
    renderCall();
    callStatus(T[state.ui].callEnded);
  }

  function hangUp() {
    var ws = call.ws;
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ event: "stop" }));
    ended();
    ws.close();
  }

  $("call").addEventListener("click", function () { if (call) hangUp(); else startCall(); });
  document.querySelectorAll("[data-ui-lang]").forEach(function (b) { b.addEventListener("click", renderCall); });
  renderCall();
