/** Serialisers of scan results (text, JSON, SARIF) and baselines; they only write what the scan found. */
package dev.laocoon.core.report;
