package dev.laocoon.audit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Prints what each fixture case gives (a developer's aid for writing expected.txt; not a test). */
final class DumpFixtures {
    public static void main(String[] args) throws Exception {
        try (Stream<Path> s = Files.walk(FixturesTest.fixtures(), 3)) {
            for (Path c : s.filter(p -> Files.isDirectory(p) && (p.getParent().getFileName().toString().equals("positive")
                    || p.getParent().getFileName().toString().equals("negative")
                    || p.getParent().getFileName().toString().equals("realworld"))).sorted().toList()) {
                System.out.println("== " + FixturesTest.fixtures().relativize(c) + " " + FixturesTest.findings(c));
            }
        }
    }
}
