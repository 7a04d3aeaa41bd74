/** What scans find: rules (Rule, RuleDescriptor, RuleCatalog), findings, their locations and severities. */
package dev.laocoon.core.finding;
