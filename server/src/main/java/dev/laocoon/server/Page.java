package dev.laocoon.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;

/**
 * The web page: static files from the jar ({@code dev/laocoon/server/web/}), and the HTML answer
 * of the upload form when it is sent without JavaScript.
 */
final class Page {
    private Page() {
    }

    /** A static file of the page by its path ("/" is the page), or null. */
    static byte[] resource(String path) {
        String name = switch (path) {
            case "/", "/index.html" -> "index.html";
            case "/app.js" -> "app.js";
            case "/style.css" -> "style.css";
            default -> null;
        };
        if (name == null) {
            return null;
        }
        try (InputStream in = Page.class.getResourceAsStream("/dev/laocoon/server/web/" + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    static String contentType(String path) {
        if (path.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (path.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return "text/html; charset=utf-8";
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String head(String title) {
        return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title)
                + "</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<link rel=\"stylesheet\" href=\"/style.css\"></head><body><header><a href=\"/\">Laocoon</a></header><main>";
    }

    /** The result of one scan as HTML: verdict, findings with location and evidence, explain text. */
    static String result(JsonNode r) {
        StringBuilder b = new StringBuilder(head("Laocoon: " + r.path("path").asText()));
        b.append(body(r));
        b.append("<p><a href=\"/\">Scan another file</a></p></main></body></html>\n");
        return b.toString();
    }

    /** The part of {@link #result} inside the page (the script renders the same markup). */
    static String body(JsonNode r) {
        String verdict = r.path("verdict").asText();
        StringBuilder b = new StringBuilder();
        if (r.path("format").asText().equals("repository")) {
            b.append("<section class=\"result\"><h2><span id=\"verdict\" class=\"verdict v-").append(esc(verdict))
                    .append("\">").append(esc(verdict)).append("</span> ").append(esc(r.path("path").asText()))
                    .append(" (repository)</h2><p class=\"meta\">").append(r.path("files").size()).append(" files · sha256 <code>")
                    .append(esc(r.path("sha256").asText())).append("</code></p></section>");
            for (JsonNode f : r.path("files")) {
                b.append(body(f).replace("id=\"verdict\" ", ""));
            }
            return b.toString();
        }
        b.append("<section class=\"result\"><h2><span id=\"verdict\" class=\"verdict v-").append(esc(verdict)).append("\">")
                .append(esc(verdict)).append("</span> ").append(esc(r.path("path").asText())).append("</h2>");
        b.append("<p class=\"meta\">format ").append(esc(r.path("format").asText())).append(" · ")
                .append(r.path("size").asLong()).append(" bytes · sha256 <code>").append(esc(r.path("sha256").asText()))
                .append("</code>").append(r.path("cached").asBoolean() ? " · from the cache" : "").append("</p>");
        if (r.has("error")) {
            b.append("<p class=\"error\">").append(esc(r.path("error").asText())).append("</p>");
        }
        JsonNode fs = r.path("findings");
        if (fs.size() == 0) {
            b.append("<p>No findings.</p>");
        } else {
            b.append("<table class=\"findings\"><thead><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Message</th>"
                    + "<th>Evidence</th></tr></thead><tbody>");
            for (JsonNode f : fs) {
                b.append("<tr><td class=\"v-").append(esc(f.path("severity").asText())).append("\">")
                        .append(esc(f.path("severity").asText())).append("</td><td>").append(esc(f.path("rule").asText()))
                        .append(" ").append(esc(f.path("name").asText())).append("</td><td><code>")
                        .append(esc(f.path("location").path("display").asText())).append("</code></td><td>")
                        .append(esc(f.path("message").asText())).append("</td><td><code>")
                        .append(esc(f.path("evidence").asText())).append("</code></td></tr>");
            }
            b.append("</tbody></table>");
        }
        for (JsonNode x : r.path("explain")) {
            b.append("<h3>What a loader would do: ").append(esc(x.path("location").asText())).append("</h3><pre class=\"explain\">");
            for (String line : x.path("text").asText().split("\n", -1)) {
                boolean marked = line.trim().startsWith("# !!");
                b.append(marked ? "<mark>" : "").append(esc(line)).append(marked ? "</mark>" : "").append('\n');
            }
            b.append("</pre>");
        }
        b.append("</section>");
        return b.toString();
    }

    static String queued(JsonNode n) {
        return head("Laocoon: queued") + "<section class=\"result\"><h2>Queued: " + esc(n.path("path").asText())
                + "</h2><p>The file is large, so it is scanned in the background. Its result will be at <code>"
                + esc(n.path("location").asText()) + "</code> (with your token).</p></section>"
                + "<p><a href=\"/\">Scan another file</a></p></main></body></html>\n";
    }

    /** The OpenAPI 3.1 description of the API. */
    static byte[] openapi() {
        try (InputStream in = Page.class.getResourceAsStream("/dev/laocoon/server/openapi.json")) {
            return in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("openapi.json missing from the jar", e);
        }
    }
}
