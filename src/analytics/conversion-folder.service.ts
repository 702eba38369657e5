import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ConversionRepository } from './conversion.repository';

/** How often each instance folds new marks into the counters. */
export const FOLD_INTERVAL_MS = 1_000;
/** Batches one fold takes at most (the next one continues), so a run stays short whatever the backlog. */
const MAX_BATCHES_PER_FOLD = 100;

/**
 * Moves the conversion counters from the marks: every FOLD_INTERVAL_MS each instance adds the
 * flags set since the last fold (ConversionRepository.foldBatch), and a report folds first, so it
 * counts every transition committed before it was asked for. Several instances fold side by side:
 * each takes marks the others have not locked, and every flag is counted once.
 */
@Injectable()
export class ConversionFolder implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ConversionFolder');
  private readonly task: PeriodicTask<number>;

  constructor(
    private readonly repository: ConversionRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.task = new PeriodicTask(
      'Conversion fold',
      FOLD_INTERVAL_MS,
      () => this.fold(false),
      this.logger,
    );
  }

  onModuleInit(): void {
    if (this.config.backgroundJobs) this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /**
   * Folds everything committed so far, waiting for marks that a transition or another fold holds
   * (they are counted by the time this returns); the number of marks this call folded.
   */
  foldCommitted(): Promise<number> {
    return this.fold(true);
  }

  private async fold(waitForLocked: boolean): Promise<number> {
    let marks = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_FOLD; batch++) {
      const result = await this.repository.foldBatch(waitForLocked);
      marks += result.marks;
      if (!result.more) break;
    }
    return marks;
  }
}
