/** The knowledge base of Python globals (data-only, well-known libraries, dangerous), read from resource files and policy files. */
package dev.laocoon.core.kb;
