package dev.laocoon.core.finding;

/**
 * One thing a rule found. {@code evidence} is a short rendering of what a loader would do,
 * e.g. {@code os.system('echo hi')}.
 */
public record Finding(RuleDescriptor rule, Severity severity, String message, Location location, String evidence) {

    public Finding {
        if (evidence == null) {
            evidence = "";
        }
    }

    public String ruleId() {
        return rule.id();
    }
}
