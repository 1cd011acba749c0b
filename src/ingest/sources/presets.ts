/** Every webhook preset by name (one file each beside this one). */
import type { WebhookPresetName } from '../../config/compiled.js';
import { genericPreset } from './generic.js';
import { githubPreset } from './github.js';
import { shopifyPreset } from './shopify.js';
import { slackPreset } from './slack.js';
import { stripePreset } from './stripe.js';
import { svixPreset } from './svix.js';
import { twilioPreset } from './twilio.js';
import type { WebhookPreset } from './webhook-preset.js';

export const WEBHOOK_PRESETS: Record<WebhookPresetName, WebhookPreset> = {
  github: githubPreset,
  stripe: stripePreset,
  shopify: shopifyPreset,
  slack: slackPreset,
  svix: svixPreset,
  twilio: twilioPreset,
  generic: genericPreset,
};
