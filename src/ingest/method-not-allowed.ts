/**
 * 405 with `Allow` for a path that exists under other methods (RFC 9110 §15.5.6), instead of 404: the
 * routes are collected as they are registered, and the not-found handler asks which of them match the
 * requested path. Call before any route is registered.
 */
import type { FastifyInstance } from 'fastify';

/** Collects the routes registered from now on; returns the methods a concrete path is declared with. */
export function answerUndeclaredMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routes.push({ pattern: patternOf(route.url), methods: methods.map((m) => m.toUpperCase()) });
  });
  return (path) => {
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const m of route.methods) allowed.add(m);
    return [...allowed].sort();
  };
}

/** `/entities/:type/:key` → a regular expression matching `/entities/team/red-foxes`. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : escape(segment)))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
