/** Laocoon's scanning library: Scanner (built with Scanner.builder()), ScanLimits, and the reports it returns (FileReport, ScanReport, Format). */
package dev.laocoon.core;
