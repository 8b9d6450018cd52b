// One fetch wrapper for every page: JSON in and out, and any failure as an ApiError whose message
// a person can read (the problem's detail, or what to do when the service cannot be reached).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the service could not be reached
    this.code = code; // the problem's stable code (problem+json `code`)
  }
}

function sentence(text) {
  const t = String(text || "").trim();
  if (!t) return "";
  return t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

const WHAT_TO_DO = {
  401: "The API key was not accepted. Enter it again.",
  403: "This key may not do that.",
  413: "What was sent is too large.",
  429: "Too many requests: wait a moment and try again.",
};

async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON: fall through to the status */
  }
  const code = (body && body.code) || "error";
  const message = sentence(body && body.detail) || WHAT_TO_DO[response.status] ||
    `The service answered with an error (${response.status}).`;
  return new ApiError(response.status, code, message);
}

// api(path, {method, body, key, signal, accept}) → parsed JSON (or text for text/* answers).
export async function api(path, { method, body, key, signal, accept } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Authorization"] = `Bearer ${key}`;
  if (accept) headers["Accept"] = accept;
  let response;
  try {
    response = await fetch(path, {
      method: method || (body === undefined ? "GET" : "POST"),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "unreachable", "The service cannot be reached. Check the connection and try again.");
  }
  if (!response.ok) throw await problemOf(response);
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) return response.json();
  return response.text();
}
