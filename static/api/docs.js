/* Swagger UI for /api/docs/. Settings come from data-* attributes (strict CSP: no inline script).
   "Try it out" runs with the page's session; non-GET requests carry the CSRF token like a form would. */
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  const csrfHeader = root.dataset.csrfHeader;
  const csrfToken = root.dataset.csrfToken;

  const requestInterceptor = (request) => {
    if (!["GET", "HEAD", undefined].includes(request.method) && csrfHeader && csrfToken) {
      request.headers[csrfHeader] = csrfToken;
    }
    return request;
  };

  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
    requestInterceptor,
  });
})();
