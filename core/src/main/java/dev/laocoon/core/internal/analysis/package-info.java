/** Not API: one analyser per format, mapping each reader's problems to rules and handing nested content back to the pipeline. */
package dev.laocoon.core.internal.analysis;
