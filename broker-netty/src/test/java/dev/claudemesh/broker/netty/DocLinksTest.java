package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.netty.config.Setting;
import dev.claudemesh.broker.netty.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The documents of the repository reference only files the repository has ({@link DocLinks}); the README's quick
 * start is two commands, one that builds and starts the broker, one that runs the whole test suite; the deployment
 * guide sets only variables the broker reads.
 */
class DocLinksTest {

    private static Path repoRoot() {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        return Files.isDirectory(base.resolve("docs")) ? base : base.getParent();
    }

    private static List<DocLinks.Broken> check(Path root) throws IOException {
        DocLinks links = new DocLinks(root);
        List<DocLinks.Broken> broken = new ArrayList<>();
        for (Path md : DocLinks.markdownFiles(root)) {
            broken.addAll(links.checkMarkdown(md));
        }
        for (Path plain : DocLinks.plainFiles(root)) {
            broken.addAll(links.checkPlain(plain));
        }
        return broken;
    }

    @Test
    void shouldReferenceOnlyFilesOfTheRepositoryFromItsDocuments() throws Exception {
        Path root = repoRoot();
        assertThat(DocLinks.markdownFiles(root)).extracting(p -> root.relativize(p).toString())
                .contains("README.md", "docs/PROTOCOL.md", "docs/DEPLOY.md", "docs/ARCHITECTURE.md");
        assertThat(DocLinks.plainFiles(root)).isNotEmpty();
        assertThat(check(root)).as("references to files the repository does not have").isEmpty();
    }

    @Test
    void shouldReportEveryBrokenReferenceAndNothingElse(@TempDir Path root) throws Exception {
        Files.createDirectories(root.resolve("docs"));
        Files.createDirectories(root.resolve("deploy"));
        Files.createDirectories(root.resolve("broker-x/src"));
        Files.writeString(root.resolve("broker-x/src/Foo.java"), "class Foo {}\n");
        Files.writeString(root.resolve("docs/GOOD.md"), """
                # Good

                ## Good heading: `with` code!
                ## Good heading: `with` code!
                See `GOOD.md` and `../README.md`.
                """);
        Files.writeString(root.resolve("README.md"), """
                # Readme

                ## Local heading

                [ok](docs/GOOD.md), [ok anchor](docs/GOOD.md#good-heading-with-code-1), [self](#local-heading),
                `docs/GOOD.md`, `broker-x/src/Foo.java`, `broker-x/src/`, `deploy/unit.service`.
                [bad anchor](docs/GOOD.md#nope) and [self bad](#no-such-heading).
                [missing](docs/MISSING.md) and [outside](../shared/PROTOCOL.md).
                Code spans: `docs/GONE.md`, `PROTOCOL.md`, `../shared/DESIGN.md`, `broker-x/src/Bar.java`.
                Not paths: `data/admin-token`, `broker-x/target/app.jar`, `/etc/claudemesh/broker.env`,
                `curl -s http://x/y`, `<meshId>/x`, `read/send`, `broker-x/.../Foo`, `$HOME/.cm/config.json`,
                `be:lead,fe`, `Settings.java`, [web](https://example.com/missing.md), [mail](mailto:a@b.c).
                A code span `over a
                line break` is no path; [a link over
                two lines](docs/ALSO-MISSING.md) is checked.

                ```sh
                cat docs/FENCED.md
                ```
                """);
        Files.writeString(root.resolve("deploy/unit.service"), """
                # see docs/ABSENT.md and docs/GOOD.md, README.md, NOPE.md
                ExecStart=/usr/bin/java -jar /opt/x/app.jar
                """);

        // a paragraph's links first, then its code spans
        assertThat(check(root)).extracting(b -> b.file() + ":" + b.line() + " " + b.reference() + " " + b.why())
                .containsExactly(
                        "README.md:7 docs/GOOD.md#nope no heading with anchor #nope in docs/GOOD.md",
                        "README.md:7 #no-such-heading no heading with anchor #no-such-heading in README.md",
                        "README.md:8 docs/MISSING.md no such file",
                        "README.md:8 ../shared/PROTOCOL.md outside the repository",
                        "README.md:15 docs/ALSO-MISSING.md no such file",
                        "README.md:9 docs/GONE.md no such file",
                        "README.md:9 PROTOCOL.md no such file",
                        "README.md:9 ../shared/DESIGN.md outside the repository",
                        "README.md:9 broker-x/src/Bar.java no such file",
                        "deploy/unit.service:1 docs/ABSENT.md no such file",
                        "deploy/unit.service:1 NOPE.md no such file");
    }

    @Test
    void shouldNameAnchorsAsGitHubDoes() {
        assertThat(DocLinks.slug("9. Enrolment: invites and `POST /join`")).isEqualTo("9-enrolment-invites-and-post-join");
        assertThat(DocLinks.slug("M1. `message_status`")).isEqualTo("m1-message_status");
        assertThat(DocLinks.slug("Part I — Core")).isEqualTo("part-i--core");
    }

    @Test
    void shouldStartWithTwoCommandsOneToBuildAndStartOneToRunTheTests() throws Exception {
        Path root = repoRoot();
        String readme = Files.readString(root.resolve("README.md"));
        int start = readme.indexOf("## Quick start");
        assertThat(start).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        String quickStart = readme.substring(start, end);
        List<String> commands = new ArrayList<>();
        Matcher block = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL).matcher(quickStart);
        while (block.find()) {
            for (String line : block.group(1).split("\n")) {
                if (!line.isBlank() && !line.strip().startsWith("#")) {
                    commands.add(line.strip());
                }
            }
        }
        assertThat(commands).hasSize(2);
        assertThat(commands.get(0)).startsWith("./mvnw ").contains(" package && ")
                .contains("java -jar broker-netty/target/claudemesh-broker.jar").doesNotEndWith("\\");
        assertThat(commands.get(1)).isEqualTo("./mvnw -B verify");
        assertThat(Files.readString(root.resolve(".ci/run"))).contains("./mvnw -B verify");
    }

    @Test
    void shouldSetOnlyVariablesTheBrokerReadsInTheDeploymentGuide() throws Exception {
        String guide = Files.readString(repoRoot().resolve("docs/DEPLOY.md"));
        Set<String> set = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?m)^((?:BROKER|DATABASE|STATUS|HOOK|MAX|SEND|JOIN)_[A-Z_]+)=").matcher(guide);
        while (m.find()) {
            set.add(m.group(1));
        }
        assertThat(set).contains("DATABASE_URL", "BROKER_PUBLIC_URL", "BROKER_ENCRYPTION_KEY", "BROKER_TLS_CERT");
        assertThat(Settings.ALL.stream().map(Setting::env).toList()).containsAll(set);
    }
}
