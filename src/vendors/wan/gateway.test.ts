/** Wan end to end: a client on the seed API or the openai SDK, the real gateway, the DashScope simulator. */
import { describeThroughGateway } from '../../../test/support/vendor-suite.js';
import { arrearsWanAccount } from '../../simulator/wan.js';

const first = 'https://example.com/first.png';
const last = 'https://example.com/last.png';

describeThroughGateway({
  vendor: 'wan',
  model: 'wan2.2-t2v-plus',
  textToVideo: {
    request: { model: 'wan2.5-t2v-preview', prompt: 'a cat', size: '832x480', duration: 10, seed: 5 },
    sent: { parameters: { size: '832*480', duration: 10, seed: 5 } },
    metadata: { duration: 10, fps: 24, width: 832, height: 480, seed: 5 },
  },
  imageToVideo: {
    request: {
      model: 'wan2.2-kf2v-flash',
      prompt: 'a cat',
      image: first,
      metadata: { last_frame_url: last },
    },
    sent: {
      input: { prompt: 'a cat', first_frame_url: first, last_frame_url: last },
      parameters: { resolution: '720P' },
    },
  },
  openai: { model: 'wan2.5-t2v-preview', seconds: '5', size: '1280x720' },
  refusals: [
    ['10 s on wan2.2', { model: 'wan2.2-t2v-plus', prompt: 'a cat', duration: 10 }, 'duration'],
    [
      'a size wan2.2-t2v-plus does not render',
      { model: 'wan2.2-t2v-plus', prompt: 'a cat', size: '1280x720' },
      'size',
    ],
    [
      '720P on wan2.2-i2v-plus',
      { model: 'wan2.2-i2v-plus', prompt: 'a cat', image: first, size: '1280x720' },
      'size',
    ],
    ['an image for a text model', { model: 'wan2.5-t2v-preview', prompt: 'a cat', image: first }, 'image'],
    ['no image for an image model', { model: 'wan2.5-i2v-preview', prompt: 'a cat' }, 'image'],
    [
      'no last frame for kf2v',
      { model: 'wan2.2-kf2v-flash', prompt: 'a cat', image: first },
      'metadata.last_frame_url',
    ],
    [
      'audio on wan2.2',
      { model: 'wan2.2-t2v-plus', prompt: 'a cat', metadata: { audio: true } },
      'metadata.audio',
    ],
  ],
  words: { contentSafety: /DataInspectionFailed/, unauthorised: /InvalidApiKey/, arrears: /Arrearage/ },
  arrearsCredentials: arrearsWanAccount,
  contentFailure: 'DataInspectionFailed',
  callsBack: false,
  priced: { request: { prompt: 'a cat', size: '1920x1080', duration: 5 }, cost: 750_000 },
});
