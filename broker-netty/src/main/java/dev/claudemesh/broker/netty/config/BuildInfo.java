package dev.claudemesh.broker.netty.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * What the build recorded about itself: the project version of the POM, and the git commit the jar was built from ({@code git rev-parse HEAD}, run by
 * the build and written into {@value #RESOURCE}). A build without a {@code .git} directory (a source tarball, the
 * Docker build context) or without a {@code git} binary records {@value #UNKNOWN}; a build that skipped that step
 * (an IDE) has no resource or a placeholder, which reads as {@value #UNKNOWN} too.
 * {@code GIT_SHA} in the environment overrides it (it is the default of that setting). Immutable.
 */
public final class BuildInfo {

    /** The commit when the build did not record one. */
    public static final String UNKNOWN = "unknown";

    static final String RESOURCE = "/dev/claudemesh/broker/netty/build.properties";
    static final String COMMIT_PROPERTY = "git.commit.id.full";
    static final String VERSION_PROPERTY = "version";

    private static final Pattern SHA = Pattern.compile("[0-9a-f]{7,64}");
    private static final Properties RECORDED = load();
    private static final String GIT_SHA = gitShaOf(RECORDED);
    private static final String VERSION = versionOf(RECORDED);

    private BuildInfo() {
    }

    /** The full commit id the jar was built from, or {@value #UNKNOWN}. */
    public static String gitSha() {
        return GIT_SHA;
    }

    /** The project version the jar was built as (the POM's {@code <version>}), or {@value #UNKNOWN}. */
    public static String version() {
        return VERSION;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The version in {@code recorded}, or {@value #UNKNOWN} when it holds none (or an unfiltered placeholder). */
    static String versionOf(Properties recorded) {
        String v = recorded.getProperty(VERSION_PROPERTY, "").trim();
        return v.isEmpty() || v.contains("$") ? UNKNOWN : v;
    }

    /** The commit in {@code recorded}, or {@value #UNKNOWN} when it holds none (or not a hex commit id). */
    static String gitShaOf(Properties recorded) {
        String sha = recorded.getProperty(COMMIT_PROPERTY, "").trim();
        return SHA.matcher(sha).matches() ? sha : UNKNOWN;
    }
}
