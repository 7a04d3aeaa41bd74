/** Not API: a Jinja lexer, parser and abstract interpreter for chat templates, which never renders anything. */
package dev.laocoon.core.internal.format.jinja;
