package dev.claudemesh.broker.netty.http;

import io.netty.handler.codec.http.HttpMethod;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The HTTP routes: method + path template → {@link RouteHandler}, and areas (path prefixes) with a {@link Guard}
 * that runs before routing. A template is a path whose segments are literals or {@code {name}} parameters, each
 * matching exactly one segment ({@code /admin/meshes/{meshId}/peers}); where two templates match a path, the one
 * with a literal at the first segment where they differ owns it (also for the 405 of a method only the other has).
 * Paths are matched as sent (not percent-decoded).
 *
 * <pre>{@code
 * RouteTable routes = RouteTable.builder()
 *         .get("/health", health::health)
 *         .area("/admin", adminAuth)
 *         .post("/admin/meshes/{meshId}/members", admin::addMember)
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe once built; built once at startup.</p>
 */
public final class RouteTable {

    /** The order methods are listed in {@code Allow} and the preflight answer. */
    private static final List<HttpMethod> METHOD_ORDER = List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
            HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);

    /** What a request resolves to. */
    public sealed interface Resolution permits Found, MethodNotAllowed, NotFound {
    }

    /** A route: its handler and the values of its template's parameters. */
    public record Found(RouteHandler handler, Map<String, String> params) implements Resolution {
    }

    /** The path exists with other methods: {@code allowed} is their list for the {@code Allow} header. */
    public record MethodNotAllowed(String allowed) implements Resolution {
    }

    /** No template matches the path. */
    public record NotFound() implements Resolution {
    }

    private static final NotFound NOT_FOUND = new NotFound();

    /** A template split into segments; a parameter segment holds its name and {@code param} is true. */
    private record Template(String text, String[] segments, boolean[] param) {

        static Template parse(String text) {
            if (text == null || !text.startsWith("/")) {
                throw new IllegalArgumentException("template: " + text + " (expected: a path starting with /)");
            }
            String[] raw = text.substring(1).split("/", -1);
            String[] segments = new String[raw.length];
            boolean[] param = new boolean[raw.length];
            Set<String> names = new LinkedHashSet<>();
            for (int i = 0; i < raw.length; i++) {
                String s = raw[i];
                if (s.length() > 2 && s.startsWith("{") && s.endsWith("}")) {
                    segments[i] = s.substring(1, s.length() - 1);
                    param[i] = true;
                    if (!names.add(segments[i])) {
                        throw new IllegalArgumentException("template: " + text + " (parameter " + s + " twice)");
                    }
                } else if (s.contains("{") || s.contains("}")) {
                    throw new IllegalArgumentException("template: " + text + " (expected {name} segments)");
                } else {
                    segments[i] = s;
                }
            }
            return new Template(text, segments, param);
        }

        /** The parameter values when {@code path} (already split) matches, else null. */
        Map<String, String> match(String[] path) {
            if (path.length != segments.length) {
                return null;
            }
            Map<String, String> values = null;
            for (int i = 0; i < segments.length; i++) {
                if (param[i]) {
                    if (values == null) {
                        values = new HashMap<>(4);
                    }
                    values.put(segments[i], path[i]);
                } else if (!segments[i].equals(path[i])) {
                    return null;
                }
            }
            return values == null ? Map.of() : values;
        }

        /** The same shape: equal length, literals and parameters at the same places, equal literals. */
        boolean sameShape(Template o) {
            if (segments.length != o.segments.length) {
                return false;
            }
            for (int i = 0; i < segments.length; i++) {
                if (param[i] != o.param[i] || (!param[i] && !segments[i].equals(o.segments[i]))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Shorter templates first (only templates of the path's length can match it), then a literal before a parameter
     * at the first segment where two differ in kind. A total order; ties keep their registration order.
     */
    private static final Comparator<Template> SPECIFIC_FIRST = (a, b) -> {
        if (a.param.length != b.param.length) {
            return Integer.compare(a.param.length, b.param.length);
        }
        for (int i = 0; i < a.param.length; i++) {
            if (a.param[i] != b.param[i]) {
                return a.param[i] ? 1 : -1;
            }
        }
        return 0;
    };

    /** One template with its handler per method, in registration order. */
    private record Route(Template template, Map<HttpMethod, RouteHandler> handlerByMethod, String allowed) {
    }

    private record Area(String prefix, Guard guard) {
        boolean covers(String path) {
            return path.equals(prefix) || (path.startsWith(prefix) && path.charAt(prefix.length()) == '/');
        }
    }

    private final List<Route> routes;
    private final List<Area> areas;
    private final String allMethods;

    private RouteTable(List<Route> routes, List<Area> areas, String allMethods) {
        this.routes = routes;
        this.areas = areas;
        this.allMethods = allMethods;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Resolves {@code method} on {@code path} (the path without query). */
    public Resolution resolve(HttpMethod method, String path) {
        if (!path.startsWith("/")) {
            return NOT_FOUND;
        }
        String[] segments = path.substring(1).split("/", -1);
        for (Route r : routes) {
            Map<String, String> params = r.template().match(segments);
            if (params == null) {
                continue;
            }
            RouteHandler h = r.handlerByMethod().get(method);
            return h != null ? new Found(h, params) : new MethodNotAllowed(r.allowed());
        }
        return NOT_FOUND;
    }

    /** The guard of the innermost area covering {@code path}, or null. */
    public Guard guardFor(String path) {
        for (Area a : areas) { // longest prefix first
            if (a.covers(path)) {
                return a.guard();
            }
        }
        return null;
    }

    /** Every method some route accepts, for the CORS preflight answer: {@code "GET, POST, OPTIONS"}. */
    public String allMethods() {
        return allMethods;
    }

    private static String list(Set<HttpMethod> methods) {
        List<HttpMethod> sorted = new ArrayList<>(methods);
        sorted.sort(Comparator.comparingInt(m -> {
            int i = METHOD_ORDER.indexOf(m);
            return i >= 0 ? i : METHOD_ORDER.size();
        }));
        StringBuilder sb = new StringBuilder();
        for (HttpMethod m : sorted) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(m.name());
        }
        return sb.toString();
    }

    /** Collects routes and areas; not thread-safe (startup only). */
    public static final class Builder {

        private final Map<String, Map<HttpMethod, RouteHandler>> handlersByTemplate = new LinkedHashMap<>();
        private final Map<String, Template> templates = new LinkedHashMap<>();
        private final List<Area> areas = new ArrayList<>();

        private Builder() {
        }

        public Builder get(String template, RouteHandler handler) {
            return route(HttpMethod.GET, template, handler);
        }

        public Builder post(String template, RouteHandler handler) {
            return route(HttpMethod.POST, template, handler);
        }

        public Builder put(String template, RouteHandler handler) {
            return route(HttpMethod.PUT, template, handler);
        }

        public Builder delete(String template, RouteHandler handler) {
            return route(HttpMethod.DELETE, template, handler);
        }

        public Builder patch(String template, RouteHandler handler) {
            return route(HttpMethod.PATCH, template, handler);
        }

        /**
         * Adds {@code method template → handler}.
         *
         * @throws IllegalArgumentException when the template is malformed, {@code OPTIONS} (answered for every path)
         *                                  is given, or the same method is already routed on a template of the same
         *                                  shape
         */
        public Builder route(HttpMethod method, String template, RouteHandler handler) {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(handler, "handler");
            if (method.equals(HttpMethod.OPTIONS)) {
                throw new IllegalArgumentException("method: OPTIONS (expected: another; preflight is built in)");
            }
            Template t = Template.parse(template);
            for (Template other : templates.values()) {
                if (!other.text().equals(t.text()) && other.sameShape(t)) {
                    throw new IllegalArgumentException("template: " + template + " (same shape as "
                            + other.text() + ": use one spelling)");
                }
            }
            templates.putIfAbsent(t.text(), t);
            Map<HttpMethod, RouteHandler> byMethod = handlersByTemplate.computeIfAbsent(t.text(),
                    k -> new LinkedHashMap<>());
            if (byMethod.putIfAbsent(method, handler) != null) {
                throw new IllegalArgumentException("route: " + method + " " + template + " (registered twice)");
            }
            return this;
        }

        /**
         * Puts every path equal to {@code prefix} or under it ({@code prefix + "/…"}) behind {@code guard}, whether
         * or not a route matches it: unknown paths of a guarded area are not revealed to those it refuses.
         */
        public Builder area(String prefix, Guard guard) {
            Objects.requireNonNull(guard, "guard");
            if (prefix == null || !prefix.startsWith("/") || prefix.endsWith("/")) {
                throw new IllegalArgumentException("prefix: " + prefix + " (expected: /name, no trailing /)");
            }
            for (Area a : areas) {
                if (a.prefix().equals(prefix)) {
                    throw new IllegalArgumentException("prefix: " + prefix + " (guarded twice)");
                }
            }
            areas.add(new Area(prefix, guard));
            return this;
        }

        public RouteTable build() {
            List<Route> routes = new ArrayList<>();
            Set<HttpMethod> all = new LinkedHashSet<>();
            handlersByTemplate.forEach((text, byMethod) -> {
                routes.add(new Route(templates.get(text), Map.copyOf(byMethod), list(byMethod.keySet())));
                all.addAll(byMethod.keySet());
            });
            routes.sort((a, b) -> SPECIFIC_FIRST.compare(a.template(), b.template())); // stable: else in order
            List<Area> sortedAreas = new ArrayList<>(areas);
            sortedAreas.sort(Comparator.comparingInt((Area a) -> a.prefix().length()).reversed());
            all.add(HttpMethod.OPTIONS);
            return new RouteTable(Collections.unmodifiableList(routes), List.copyOf(sortedAreas), list(all));
        }
    }
}
