/** The laocoon command line: scan, explain, convert, inspect and selftest over the core library. */
package dev.laocoon.cli;
