import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * chat-server's layers, each importing only the ones after it:
 * gateway (with the entry points) → stomp → fanout (with presence) → protocol (codec, frames,
 * destinations, close codes). util/ holds helpers with no project imports, usable from any layer.
 * A layer names the paths it must not import; test/chat-server layering.test.ts plants a violation.
 */
const chatServerSrc = 'packages/chat-server/src';
const above = {
  gateway: ['**/gateway/**', '**/main.js', '**/ops-server.js', '@chorus/chat-server', '@chorus/chat-server/**'],
  stomp: ['**/stomp/**'],
  fanout: ['**/fanout/**', '**/presence/**'],
  protocol: ['**/protocol/**'],
};
const layerRule = (dirs, forbidden, layer) => ({
  files: dirs.map((dir) => `${chatServerSrc}/${dir}/**/*.ts`),
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: forbidden,
            message: `chat-server layers point one way (gateway → stomp → fanout → protocol; util imports none): ${layer} must not import this.`,
          },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'packages/web/public/**', '**/dist-node/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  layerRule(['stomp'], above.gateway, 'stomp'),
  layerRule(['fanout', 'presence'], [...above.gateway, ...above.stomp], 'fanout'),
  layerRule(['protocol'], [...above.gateway, ...above.stomp, ...above.fanout, '**/util/**'], 'protocol (a leaf)'),
  layerRule(['util'], [...above.gateway, ...above.stomp, ...above.fanout, ...above.protocol], 'util'),
);
