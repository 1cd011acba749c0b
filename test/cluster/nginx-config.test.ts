/** The load balancer template renders as the nginx image renders it: given variables only, nothing left over. */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { clusterFiles } from '../../src/cluster/cluster.js';
import { loadBalancerVariables, renderTemplate } from '../../src/cluster/nginx-config.js';

describe('renderTemplate', () => {
  it('replaces ${NAME} for the given names and leaves nginx variables alone', () => {
    expect(renderTemplate('server ${A}; proxy_set_header Host $host;', { A: '127.0.0.1:3001' })).toBe(
      'server 127.0.0.1:3001; proxy_set_header Host $host;',
    );
  });

  it('refuses a template with a variable it has no value for', () => {
    expect(() => renderTemplate('listen ${PORT};', {})).toThrow(/no value for \$\{PORT\}/);
  });

  it('renders the shared template with both ingest upstreams and the listen address', async () => {
    const template = await fs.readFile(clusterFiles.nginxTemplate, 'utf8');
    const rendered = renderTemplate(
      template,
      loadBalancerVariables(['127.0.0.1:3001', '127.0.0.1:3002'], '127.0.0.1:3000'),
    );
    expect(rendered).toMatch(/server 127\.0\.0\.1:3001 /);
    expect(rendered).toMatch(/server 127\.0\.0\.1:3002 /);
    expect(rendered).toMatch(/listen 127\.0\.0\.1:3000;/);
    // A POST that reached an instance is never replayed by nginx (it may have been acknowledged).
    expect(rendered).not.toMatch(/non_idempotent/);
  });
});
