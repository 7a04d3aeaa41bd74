package dev.laocoon.core.finding;

/**
 * What every rule is, whichever module defines it: a stable id ({@code LAO101}), a slug
 * ({@code pickle-dangerous-global}), a default severity and a one-line summary. Its long
 * documentation is a Markdown page, {@code /dev/laocoon/rules/ID.md}, on the class path of the
 * rule's class (see {@link RuleCatalog#page}). Core's rules are {@link Rule}; another module
 * implements this with an enum of its own and registers it in a {@link RuleCatalog}.
 */
public interface RuleDescriptor {
    String id();

    String slug();

    Severity defaultSeverity();

    String summary();
}
