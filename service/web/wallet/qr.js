// QR codes drawn and read on the device: drawing with qrcode-generator, reading with jsQR (both from
// npm, served by the service). Nothing is sent anywhere: a picture is decoded in this page.

import qrcode from "/web/vendor/qrcode-generator/dist/qrcode.mjs";

const SVG = "http://www.w3.org/2000/svg";

/** An <svg> element drawing `text` as a QR code (error correction M, four-module quiet zone). */
export function qrSvg(text) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const size = n + 8;
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  }
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(background, path);
  return svg;
}

let jsQRLoaded = null;

function loadJsQR() {
  // jsQR ships as a UMD script (no ES module build): load it as a classic script once.
  jsQRLoaded = jsQRLoaded || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/web/vendor/jsqr/dist/jsQR.js";
    script.onload = () => resolve(self.jsQR);
    script.onerror = () => reject(new Error("The QR reader could not be loaded."));
    document.head.append(script);
  });
  return jsQRLoaded;
}

function decodeCanvas(jsQR, source, width, height) {
  const canvas = document.createElement("canvas");
  const scale = Math.min(1, 1600 / Math.max(width, height)); // big photos: plenty of pixels at 1600
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const found = jsQR(pixels.data, canvas.width, canvas.height);
  return found ? found.data : null;
}

/** The text of the QR code in a picture file, or null if none is found. */
export async function readQrFromFile(file) {
  const jsQR = await loadJsQR();
  const bitmap = await createImageBitmap(file);
  try {
    return decodeCanvas(jsQR, bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** Read frames from the camera into `video` until a QR code is seen (resolves its text) or `signal` aborts. */
export async function scanWithCamera(video, signal) {
  const jsQR = await loadJsQR();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  try {
    while (!signal.aborted) {
      if (video.videoWidth) {
        const text = decodeCanvas(jsQR, video, video.videoWidth, video.videoHeight);
        if (text) return text;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return null;
  } finally {
    stream.getTracks().forEach((t) => t.stop());
    video.hidden = true;
  }
}
