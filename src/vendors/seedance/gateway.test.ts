/** Seedance end to end: a client on the seed API or the openai SDK, the real gateway, the Seedance simulator. */
import { describeThroughGateway } from '../../../test/support/vendor-suite.js';
import { overdueSeedanceAccount } from '../../simulator/seedance.js';

const first = 'https://example.com/first.png';
const last = 'https://example.com/last.png';

describeThroughGateway({
  vendor: 'seedance',
  model: 'doubao-seedance-1-0-pro-250528',
  textToVideo: {
    request: {
      model: 'doubao-seedance-1-5-pro-251215',
      prompt: 'a cat',
      size: '1280x720',
      duration: 6,
      seed: 7,
    },
    sent: { resolution: '720p', ratio: '16:9', duration: 6, seed: 7 },
    metadata: { duration: 6, fps: 24, width: 1280, height: 720, seed: 7 },
  },
  imageToVideo: {
    request: {
      model: 'doubao-seedance-1-0-pro-250528',
      prompt: 'a cat',
      image: first,
      metadata: { last_frame: last },
    },
    sent: {
      ratio: 'adaptive',
      content: [
        { type: 'text', text: 'a cat' },
        { type: 'image_url', image_url: { url: first }, role: 'first_frame' },
        { type: 'image_url', image_url: { url: last }, role: 'last_frame' },
      ],
    },
  },
  openai: { model: 'doubao-seedance-1-0-pro-fast-251015', seconds: '4', size: '1920x1080' },
  refusals: [
    [
      'a duration 1.5 pro does not render',
      { model: 'doubao-seedance-1-5-pro-251215', prompt: 'a cat', duration: 2 },
      'duration',
    ],
    [
      'a size of no Seedance resolution',
      { model: 'doubao-seedance-1-0-pro-250528', prompt: 'a cat', size: '1000x1000' },
      'size',
    ],
    [
      'an image for lite-t2v',
      { model: 'doubao-seedance-1-0-lite-t2v-250428', prompt: 'a cat', image: first },
      'image',
    ],
    ['no image for lite-i2v', { model: 'doubao-seedance-1-0-lite-i2v-250428', prompt: 'a cat' }, 'image'],
    [
      'a last frame for pro-fast',
      {
        model: 'doubao-seedance-1-0-pro-fast-251015',
        prompt: 'a cat',
        image: first,
        metadata: { last_frame: last },
      },
      'metadata.last_frame',
    ],
    [
      'audio for a 1.0 model',
      { model: 'doubao-seedance-1-0-pro-250528', prompt: 'a cat', metadata: { generate_audio: true } },
      'metadata.generate_audio',
    ],
    [
      'an unknown metadata key',
      { model: 'doubao-seedance-1-0-pro-250528', prompt: 'a cat', metadata: { frames: 121 } },
      'metadata.frames',
    ],
  ],
  words: {
    contentSafety: /InputTextSensitiveContentDetected/,
    unauthorised: /AuthenticationError/,
    arrears: /AccountOverdueError/,
  },
  arrearsCredentials: overdueSeedanceAccount,
  contentFailure: 'OutputVideoSensitiveContentDetected',
  callsBack: true,
  priced: { request: { prompt: 'a cat', size: '1920x1080', duration: 5 }, cost: 750_000 },
});
