import { notifications } from '@mantine/notifications';
import { IconCheck, IconX } from '@tabler/icons-react';

export function notifySuccess(message: string) {
  notifications.show({ color: 'teal', message, icon: <IconCheck size={18} aria-hidden />, autoClose: 4000 });
}

export function notifyError(message: string) {
  notifications.show({ color: 'red', message, icon: <IconX size={18} aria-hidden />, autoClose: 8000 });
}
