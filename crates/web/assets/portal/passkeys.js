// Countersign passkeys: the browser's half of a WebAuthn ceremony, for the
// portal (/portal/assets/passkeys.js) and the console (/admin/assets/passkeys.js).
//
// A form with data-passkey="create" (register) or "get" (sign in) runs one
// ceremony when it is submitted, then submits itself as an ordinary form:
//   data-begin="URL"  POSTed (form-encoded, with the form's csrf field) for
//                     {"ceremony_id": "...", "options": {...}}, or
//   data-options='{"options": {...}}'  the options in the page already;
//   hidden fields ceremony_id and response receive the id and the
//   credential's JSON (RegistrationResponseJSON / AuthenticationResponseJSON);
//   data-failed / data-unsupported: the words shown in [data-passkey-error].
// Every POST carries the session's csrf field and is checked by the server's
// guard like any form. Options are read with PublicKeyCredential.parse*FromJSON
// and answers written with toJSON() where the browser has them, else by hand.
(function () {
  "use strict";

  function decode(text) {
    var s = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return Object.assign({}, d, { id: decode(d.id) });
    });
  }

  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var o = Object.assign({}, json);
    o.challenge = decode(json.challenge);
    o.user = Object.assign({}, json.user, { id: decode(json.user.id) });
    o.excludeCredentials = descriptors(json.excludeCredentials);
    return o;
  }

  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var o = Object.assign({}, json);
    o.challenge = decode(json.challenge);
    o.allowCredentials = descriptors(json.allowCredentials);
    return o;
  }

  // The credential as toJSON() gives it (WebAuthn Level 3 §5.1).
  function toJSON(cred) {
    if (typeof cred.toJSON === "function") { return cred.toJSON(); }
    var r = cred.response;
    var ext = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    var out = {
      id: cred.id, rawId: encode(cred.rawId), type: cred.type,
      clientExtensionResults: ext.credProps ? { credProps: ext.credProps } : {},
      response: { clientDataJSON: encode(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) { out.authenticatorAttachment = cred.authenticatorAttachment; }
    if (r.attestationObject) {
      out.response.attestationObject = encode(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = encode(r.authenticatorData);
      out.response.signature = encode(r.signature);
      if (r.userHandle) { out.response.userHandle = encode(r.userHandle); }
    }
    return out;
  }

  function begin(form) {
    if (form.dataset.options) { return Promise.resolve(JSON.parse(form.dataset.options)); }
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    if (form.elements.username) { body.set("username", form.elements.username.value); }
    return fetch(form.dataset.begin, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        return r.json().then(function (j) { return r.ok ? j : Promise.reject(new Error(j.error || r.status)); });
      });
  }

  function ceremony(kind, options) {
    if (kind === "create") {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }
    return navigator.credentials.get({ publicKey: requestOptions(options) });
  }

  function show(form, words) {
    var box = form.querySelector("[data-passkey-error]") ||
      document.querySelector("[data-passkey-error]");
    if (box) { box.textContent = words; box.hidden = false; }
  }

  function run(form) {
    var kind = form.dataset.passkey;
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    begin(form)
      .then(function (started) {
        if (started.ceremony_id && form.elements.ceremony_id) {
          form.elements.ceremony_id.value = started.ceremony_id;
        }
        return ceremony(kind, started.options);
      })
      .then(function (cred) {
        if (!cred) { throw new Error("no credential"); }
        form.elements.response.value = JSON.stringify(toJSON(cred));
        form.dataset.done = "1";
        form.submit();
      })
      .catch(function (e) {
        if (button) { button.disabled = false; }
        var words = form.dataset.failed || "The passkey did not answer.";
        show(form, words + " (" + (e && e.name ? e.name + ": " : "") + (e && e.message ? e.message : e) + ")");
      });
  }

  var forms = document.querySelectorAll("form[data-passkey]");
  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  forms.forEach(function (form) {
    if (!supported) {
      show(form, form.dataset.unsupported || "This browser cannot use passkeys.");
      var b = form.querySelector("button[type=submit]");
      if (b) { b.disabled = true; }
      return;
    }
    form.addEventListener("submit", function (event) {
      if (form.dataset.done) { return; }
      event.preventDefault();
      if (form.reportValidity && !form.reportValidity()) { return; }
      run(form);
    });
  });
})();
