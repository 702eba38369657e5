import { Logger } from '@nestjs/common';

// Unit specs exercise failure paths on purpose; their warnings are expected noise.
Logger.overrideLogger(false);
