package dev.claudemesh.broker.netty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the references of the repository's documents to files of the repository that do not exist, so that a clone's
 * docs stand on their own.
 *
 * <p>In a Markdown file, outside fenced code blocks, paragraph by paragraph:</p>
 * <ul>
 *   <li>every relative link {@code [text](target)}: the file must exist, must not lie outside the repository, and a
 *       {@code #fragment} must be the anchor of a heading of the target (GitHub's rule: lower case, punctuation
 *       dropped, spaces to hyphens, repeats numbered); links with a scheme ({@code https:}, {@code mailto:}) are not
 *       checked;</li>
 *   <li>every code span that is a path: one that starts with {@code ../}, or whose first segment is an entry of the
 *       document's folder or of the repository's root, or a bare {@code *.md} name (resolved against the document's
 *       folder, then the root). Code spans with spaces, {@code $}, {@code <}, {@code *} or {@code …} are commands or
 *       placeholders, not paths; paths through build outputs and run-time files ({@code target}, {@code data},
 *       {@code node_modules}) and elided ones ({@code broker-netty/.../http}) are not checked.</li>
 * </ul>
 * <p>In a plain-text file (the systemd unit), every word that is such a path.</p>
 *
 * <p>Stateless apart from the root's listing; not thread-safe.</p>
 */
final class DocLinks {

    /** One reference to a file that is not there. */
    record Broken(String file, int line, String reference, String why) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + reference + " (" + why + ")";
        }
    }

    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_.@-]+(?:/[A-Za-z0-9_.@-]+)*/?");
    /** A path inside plain text: not preceded by a path character, so {@code /etc/x} yields nothing. */
    private static final Pattern PLAIN_PATH = Pattern.compile(
            "(?<![\\w./@-])((?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_.-]*[A-Za-z0-9_-]|[A-Za-z0-9_-]+\\.md)(?![\\w/])");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
    /** Path segments of build outputs and run-time files, which a clone does not have. */
    private static final Set<String> GENERATED = Set.of("target", "node_modules", "data");

    private final Path root;
    private final Map<Path, Set<String>> anchorsByFile = new HashMap<>();

    DocLinks(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /**
     * The broken references of a Markdown file. Paragraphs are scanned whole (a code span or a link may go on over a
     * line break, as CommonMark allows); a reference is reported on the line where it starts.
     */
    List<Broken> checkMarkdown(Path doc) throws IOException {
        Path file = doc.toAbsolutePath().normalize();
        List<String> lines = Files.readAllLines(file);
        Set<Broken> out = new LinkedHashSet<>();
        StringBuilder paragraph = new StringBuilder();
        int firstLine = 0;
        boolean fenced = false;
        for (int i = 0; i <= lines.size(); i++) {
            String line = i < lines.size() ? lines.get(i) : "";
            boolean fence = FENCE.matcher(line).find();
            boolean breaks = fence || fenced || line.isBlank() || HEADING.matcher(line).matches();
            if (breaks && paragraph.length() > 0) {
                scanParagraph(file, paragraph.toString(), firstLine, out);
                paragraph.setLength(0);
            }
            if (fence) {
                fenced = !fenced;
            } else if (!fenced && HEADING.matcher(line).matches()) {
                scanParagraph(file, line, i + 1, out);
            } else if (!fenced && !line.isBlank()) {
                if (paragraph.length() == 0) {
                    firstLine = i + 1;
                } else {
                    paragraph.append('\n');
                }
                paragraph.append(line);
            }
        }
        return new ArrayList<>(out);
    }

    private void scanParagraph(Path file, String text, int firstLine, Set<Broken> out) throws IOException {
        Matcher link = LINK.matcher(text);
        while (link.find()) {
            String target = link.group(1);
            String why = checkLink(file, target);
            if (why != null) {
                out.add(new Broken(name(file), lineOf(text, link.start(1), firstLine), target, why));
            }
        }
        Matcher span = CODE_SPAN.matcher(text);
        while (span.find()) {
            String ref = span.group(1).strip();
            String why = checkPath(file, ref, ref.endsWith(".md"));
            if (why != null) {
                out.add(new Broken(name(file), lineOf(text, span.start(1), firstLine), ref, why));
            }
        }
    }

    private static int lineOf(String text, int offset, int firstLine) {
        int line = firstLine;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** The broken references of a plain-text file (every path-like word). */
    List<Broken> checkPlain(Path path) throws IOException {
        Path file = path.toAbsolutePath().normalize();
        List<String> lines = Files.readAllLines(file);
        Set<Broken> out = new LinkedHashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = PLAIN_PATH.matcher(lines.get(i));
            while (m.find()) {
                String ref = m.group(1);
                String why = checkPath(file, ref, ref.endsWith(".md"));
                if (why != null) {
                    out.add(new Broken(name(file), i + 1, ref, why));
                }
            }
        }
        return new ArrayList<>(out);
    }

    /** Why the link {@code target} of {@code file} is broken, or null when it is not (or is not checked). */
    private String checkLink(Path file, String target) throws IOException {
        if (SCHEME.matcher(target).find()) {
            return null;
        }
        int hash = target.indexOf('#');
        String pathPart = hash < 0 ? target : target.substring(0, hash);
        String fragment = hash < 0 ? "" : target.substring(hash + 1);
        Path resolved = file;
        if (!pathPart.isEmpty()) {
            resolved = file.getParent().resolve(pathPart).normalize();
            if (!resolved.startsWith(root)) {
                return "outside the repository";
            }
            if (!Files.exists(resolved)) {
                return "no such file";
            }
        }
        if (!fragment.isEmpty() && resolved.toString().endsWith(".md") && !anchors(resolved).contains(fragment)) {
            return "no heading with anchor #" + fragment + " in " + name(resolved);
        }
        return null;
    }

    /**
     * Why the path {@code ref} named in {@code file} is broken, or null when it exists or is not a path this checks.
     *
     * @param bareDocName whether a name without a folder counts ({@code *.md} names do)
     */
    private String checkPath(Path file, String ref, boolean bareDocName) {
        if (!PATH.matcher(ref).matches()) {
            return null;
        }
        Path dir = file.getParent();
        String[] segments = ref.split("/");
        for (String s : segments) {
            if (GENERATED.contains(s) || (s.length() >= 3 && s.chars().allMatch(c -> c == '.'))) {
                return null;
            }
        }
        Path resolved;
        if (segments[0].equals("..") || segments[0].equals(".")) {
            resolved = dir.resolve(ref).normalize();
            if (!resolved.startsWith(root)) {
                return "outside the repository";
            }
        } else if (segments.length == 1) {
            if (!bareDocName) {
                return null;
            }
            resolved = Files.exists(dir.resolve(ref)) ? dir.resolve(ref) : root.resolve(ref);
        } else if (!dir.equals(root) && Files.exists(dir.resolve(segments[0]))) {
            resolved = dir.resolve(ref).normalize();
        } else if (isRootEntry(segments[0])) {
            resolved = root.resolve(ref).normalize();
        } else {
            return null;
        }
        return Files.exists(resolved) ? null : "no such file";
    }

    private boolean isRootEntry(String name) {
        return !name.equals(".git") && !GENERATED.contains(name) && Files.exists(root.resolve(name));
    }

    /** The GitHub anchors of the headings of a Markdown file (outside fenced code). */
    Set<String> anchors(Path md) throws IOException {
        Path key = md.toAbsolutePath().normalize();
        Set<String> cached = anchorsByFile.get(key);
        if (cached != null) {
            return cached;
        }
        Set<String> anchors = new TreeSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(key)) {
            if (FENCE.matcher(line).find()) {
                fenced = !fenced;
                continue;
            }
            Matcher h = HEADING.matcher(line);
            if (fenced || !h.matches()) {
                continue;
            }
            String slug = slug(h.group(2));
            int n = seen.merge(slug, 1, Integer::sum);
            anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        anchorsByFile.put(key, anchors);
        return anchors;
    }

    /** GitHub's anchor of a heading: lower case, letters, digits, {@code -} and {@code _} kept, spaces to hyphens. */
    static String slug(String heading) {
        StringBuilder sb = new StringBuilder(heading.length());
        heading.toLowerCase(Locale.ROOT).codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                sb.appendCodePoint(c);
            } else if (c == ' ') {
                sb.append('-');
            }
        });
        return sb.toString();
    }

    private String name(Path p) {
        return root.relativize(p).toString();
    }

    /** The documents of a repository: README.md, CHANGELOG.md, docs/*.md, the Node client's README; deploy/*. */
    static List<Path> markdownFiles(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String f : List.of("README.md", "CHANGELOG.md", "broker-netty/src/test/node/README.md")) {
            if (Files.isRegularFile(root.resolve(f))) {
                out.add(root.resolve(f));
            }
        }
        out.addAll(filesOf(root.resolve("docs"), ".md"));
        return out;
    }

    static List<Path> plainFiles(Path root) throws IOException {
        return filesOf(root.resolve("deploy"), "");
    }

    private static List<Path> filesOf(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(suffix)).sorted()
                    .toList();
        }
    }
}
