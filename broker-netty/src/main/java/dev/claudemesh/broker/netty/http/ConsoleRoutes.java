package dev.claudemesh.broker.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The operator console (README "Console"): static HTML, CSS and JavaScript modules shipped in the jar under
 * {@code console/}, served at {@code GET /console/} ({@code index.html}), {@code /console/<file>} and
 * {@code /console/vendor/<file>}; {@code /console} redirects to {@code /console/}. Registered only when
 * {@code BROKER_ADMIN_TOKEN} is set (404 otherwise, like the admin API). The files hold no data: the page asks for the
 * token and calls the admin API with it.
 *
 * <p>Only names of one segment matching {@link #NAME} are looked up, so no path can leave {@code console/} ({@code ..},
 * slashes and percent-escapes never match); anything else is 404. Answers carry the type by extension, an {@code ETag}
 * (a {@code If-None-Match} that matches gets 304) with {@code Cache-Control: no-cache} (revalidated on each load, so a
 * new jar's files are seen at once), {@code nosniff}, a Content-Security-Policy that allows only the console's own
 * scripts and styles and calls to this origin, and no framing.</p>
 *
 * <p>Files are read once from the class path and kept (a few tens of KB). Thread-safe.</p>
 */
final class ConsoleRoutes {

    /** A file name: lowercase letters, digits and dashes, dots between, a known extension. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*(\\.[a-z0-9-]+)*\\.(html|css|js|svg|txt)");
    private static final String ROOT = "console/";
    private static final Map<String, AsciiString> TYPES = Map.of(
            "html", AsciiString.cached("text/html; charset=utf-8"),
            "css", AsciiString.cached("text/css; charset=utf-8"),
            "js", AsciiString.cached("text/javascript; charset=utf-8"),
            "svg", AsciiString.cached("image/svg+xml"),
            "txt", AsciiString.cached("text/plain; charset=utf-8"));
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** A file as served. */
    record Asset(byte[] body, AsciiString type, String etag) {
    }

    private final ClassLoader loader;
    private final Map<String, Optional<Asset>> cache = new ConcurrentHashMap<>();

    ConsoleRoutes() {
        this(ConsoleRoutes.class.getClassLoader());
    }

    ConsoleRoutes(ClassLoader loader) {
        this.loader = Objects.requireNonNull(loader, "loader");
    }

    /** Adds the console's routes. */
    RouteTable.Builder register(RouteTable.Builder routes) {
        return routes.get("/console", this::redirect)
                .get("/console/", x -> serve(x, "index.html"))
                .get("/console/{file}", x -> serve(x, x.param("file")))
                .get("/console/vendor/{file}", x -> serve(x, "vendor/" + x.param("file")));
    }

    private void redirect(HttpExchange x) {
        HttpHeaders h = new DefaultHttpHeaders().set(HttpHeaderNames.LOCATION, "/console/");
        x.send(HttpResponseStatus.MOVED_PERMANENTLY, TYPES.get("txt"), new byte[0], h);
    }

    private void serve(HttpExchange x, String path) {
        Optional<Asset> asset = find(path);
        if (asset.isEmpty()) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "not found");
            return;
        }
        Asset a = asset.get();
        HttpHeaders h = new DefaultHttpHeaders()
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .set(HttpHeaderNames.ETAG, a.etag())
                .set("X-Content-Type-Options", "nosniff")
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CSP)
                .set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY")
                .set("Referrer-Policy", "no-referrer");
        String ifNoneMatch = x.header(HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null && ifNoneMatch.contains(a.etag())) {
            x.send(HttpResponseStatus.NOT_MODIFIED, a.type(), new byte[0], h);
            return;
        }
        x.send(HttpResponseStatus.OK, a.type(), a.body(), h);
    }

    /** The file at {@code path} under {@code console/}: one or two segments (vendor/), each a {@link #NAME}. */
    Optional<Asset> find(String path) {
        String name = path.startsWith("vendor/") ? path.substring("vendor/".length()) : path;
        if (!NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        Optional<Asset> known = cache.get(path);
        if (known != null) {
            return known;
        }
        Optional<Asset> loaded = load(path);
        if (loaded.isPresent()) { // misses are not kept: unauthenticated requests cannot grow the map
            cache.put(path, loaded);
        }
        return loaded;
    }

    private Optional<Asset> load(String path) {
        try (InputStream in = loader.getResourceAsStream(ROOT + path)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] body = in.readAllBytes();
            String ext = path.substring(path.lastIndexOf('.') + 1);
            String etag = "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 12)
                    + "\"";
            return Optional.of(new Asset(body, TYPES.get(ext), etag));
        } catch (IOException e) {
            throw new UncheckedIOException("console file " + path + " unreadable", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
