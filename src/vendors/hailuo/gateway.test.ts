/** MiniMax end to end: a client on the generations API or the openai SDK, the real gateway, the MiniMax simulator. */
import { describeThroughGateway } from '../../../test/support/vendor-suite.js';
import { brokeHailuoAccount } from '../../simulator/hailuo.js';

const first = 'https://example.com/first.png';
const last = 'https://example.com/last.png';

describeThroughGateway({
  vendor: 'hailuo',
  model: 'MiniMax-Hailuo-02',
  textToVideo: {
    request: { model: 'MiniMax-Hailuo-2.3', prompt: 'a cat', size: '1366x768', duration: 10 },
    sent: { model: 'MiniMax-Hailuo-2.3', resolution: '768P', duration: 10 },
    metadata: { duration: 10, fps: null, seed: null },
  },
  imageToVideo: {
    request: {
      model: 'MiniMax-Hailuo-02',
      prompt: 'a cat',
      image: first,
      metadata: { last_frame_image: last },
    },
    sent: { first_frame_image: first, last_frame_image: last, resolution: '768P', duration: 6 },
    // The size MiniMax's query reports (asked for none; the file retrieve that follows does not say it).
    metadata: { width: 1366, height: 768 },
  },
  openai: { model: 'T2V-01-Director', seconds: '6', size: '1280x720' },
  refusals: [
    [
      '10 seconds at 1080P',
      { model: 'MiniMax-Hailuo-2.3', prompt: 'a cat', size: '1920x1080', duration: 10 },
      'duration',
    ],
    [
      'a size of no MiniMax resolution',
      { model: 'MiniMax-Hailuo-02', prompt: 'a cat', size: '640x480' },
      'size',
    ],
    [
      '512P from text',
      { model: 'MiniMax-Hailuo-02', prompt: 'a cat', metadata: { resolution: '512P' } },
      'metadata.resolution',
    ],
    ['an image for T2V-01', { model: 'T2V-01', prompt: 'a cat', image: first }, 'image'],
    ['no image for I2V-01', { model: 'I2V-01', prompt: 'a cat' }, 'image'],
    [
      'a last frame on 2.3',
      { model: 'MiniMax-Hailuo-2.3', prompt: 'a cat', image: first, metadata: { last_frame_image: last } },
      'metadata.last_frame_image',
    ],
    ['a frame rate', { model: 'MiniMax-Hailuo-02', prompt: 'a cat', fps: 24 }, 'fps'],
  ],
  words: { contentSafety: /MiniMax 1026/, unauthorised: /MiniMax 1004/, arrears: /MiniMax 1008/ },
  arrearsCredentials: brokeHailuoAccount,
  contentFailure: '1027',
  callsBack: true,
  priced: { request: { prompt: 'a cat', size: '1920x1080', duration: 6 }, cost: 900_000 },
});
