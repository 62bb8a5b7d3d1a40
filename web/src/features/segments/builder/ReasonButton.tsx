import { Button, type ButtonProps, Tooltip, VisuallyHidden } from '@mantine/core';
import { type ReactNode, useId } from 'react';

interface Props extends ButtonProps {
  onClick: () => void;
  /** Why the button can't be used now; null when it can. */
  reason: string | null;
  children: ReactNode;
}

/**
 * A button that, when it can't be used, stays focusable and says why (tooltip on hover and focus, and the
 * same words for screen readers) instead of silently greying out.
 */
export function ReasonButton({ onClick, reason, children, ...props }: Props) {
  const reasonId = useId();
  if (!reason) {
    return (
      <Button {...props} onClick={onClick}>
        {children}
      </Button>
    );
  }
  return (
    <>
      <Tooltip
        label={reason}
        withArrow
        multiline
        maw={280}
        events={{ hover: true, focus: true, touch: true }}
      >
        <Button
          {...props}
          data-disabled
          aria-disabled
          aria-describedby={reasonId}
          onClick={(event) => event.preventDefault()}
        >
          {children}
        </Button>
      </Tooltip>
      <VisuallyHidden id={reasonId}>{reason}</VisuallyHidden>
    </>
  );
}
